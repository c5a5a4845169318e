/*
 * Unit tests of the vhost-user-vsock backend, no QEMU: the test is QEMU's vhost-user master
 * and the guest's driver at once (fake_guest.c), the backend runs as the launcher runs it
 * (ih_vsock_new), and every check looks at what crossed the rings or the host streams.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../tap.h"
#include "fake_guest.h"
#include "host/vsock/vsock.h"
#include "host/vsock/vsock_sandbox.h"

#define CID 42
#define PORT 1234
#define GPORT 5000

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_buf[16384];

static void capture_log(void *opaque, const char *line)
{
	(void)opaque;
	fprintf(stderr, "backend: %s\n", line);
	pthread_mutex_lock(&log_lock);
	if (strlen(log_buf) + strlen(line) + 2 < sizeof(log_buf)) {
		strcat(log_buf, line);
		strcat(log_buf, "\n");
	}
	pthread_mutex_unlock(&log_lock);
}

/* True when a line containing s was logged since the last call; clears the log. */
static int logged(const char *s)
{
	int found;

	pthread_mutex_lock(&log_lock);
	found = strstr(log_buf, s) != NULL;
	if (!found && log_buf[0])
		tap_diag("log: %s", log_buf);
	log_buf[0] = 0;
	pthread_mutex_unlock(&log_lock);
	return found;
}

static int count_dir(const char *path);

static struct ih_vsock *vs;
static int fds_before;
static struct fg g;
static int listen_fd = -1;

/* Waits for the next rx packet with operation op, skipping others. */
static int recv_op(struct vsock_hdr *h, uint16_t op, int timeout_ms)
{
	while (fg_recv(&g, h, NULL, 0, timeout_ms))
		if (h->op == op)
			return 1;
	return 0;
}

/* Waits for the next rx packet that is not a CREDIT_UPDATE. */
static int recv_pkt(struct vsock_hdr *h, void *payload, size_t max, int timeout_ms)
{
	for (;;) {
		if (!fg_recv(&g, h, payload, max, timeout_ms))
			return 0;
		if (h->op != VSOCK_OP_CREDIT_UPDATE)
			return 1;
	}
}

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, timeout_ms) == 1;
}

/* Guest connects from gport to PORT; returns the accepted host stream or -1. */
static int guest_connect(uint32_t gport)
{
	struct vsock_hdr h;
	int fd = -1;

	fg_send(&g, gport, PORT, VSOCK_OP_REQUEST, 0, NULL, 0, false);
	if (!recv_op(&h, VSOCK_OP_RESPONSE, 2000) || h.dst_port != gport)
		return -1;
	if (!wait_readable(listen_fd, 2000) || ih_vsock_accept(vs, listen_fd, &fd) < 0)
		return -1;
	return fd;
}

/* True when the guest got an op packet for gport within 2 s. */
static int guest_saw(uint16_t op, uint32_t gport)
{
	struct vsock_hdr h;

	return recv_op(&h, op, 2000) && h.dst_port == gport;
}

/* Writes a descriptor at guest address at (an indirect table entry). */
static void fg_desc_at(uint64_t at, uint64_t addr, uint32_t len, uint16_t flags)
{
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t f = htole16(flags), n = 0;

	memcpy(g.mem + at, &a, 8);
	memcpy(g.mem + at + 8, &l, 4);
	memcpy(g.mem + at + 12, &f, 2);
	memcpy(g.mem + at + 14, &n, 2);
}

/* Round trip on a fresh connection: proves the device still works. */
static int device_works(uint32_t gport)
{
	char buf[8] = { 0 };
	int fd = guest_connect(gport), ok;

	if (fd < 0)
		return 0;
	fg_send(&g, gport, PORT, VSOCK_OP_RW, 0, "ping", 4, false);
	ok = wait_readable(fd, 2000) && read(fd, buf, sizeof(buf)) == 4 && !memcmp(buf, "ping", 4);
	close(fd);
	return ok;
}

static void test_handshake(void)
{
	uint64_t f = 0, pf = 0, cid = 0;
	int qemu_fd = -1;

	tap_ok(ih_vsock_new(IH_VSOCK_USER, CID, &qemu_fd, &vs) == 0 && qemu_fd >= 0,
	       "ih_vsock_new starts the backend and returns QEMU's socket end");
	tap_ok(fg_init(&g, qemu_fd, CID) == 0, "fake guest memory and rings set up");
	tap_ok(fg_start(&g, &f, &pf, &cid) == 0, "QEMU's start-up message sequence is accepted");
	tap_ok((f >> 32 & 1) && (f >> 29 & 1) && (f >> 28 & 1) && (f >> 30 & 1),
	       "GET_FEATURES offers VERSION_1, EVENT_IDX, INDIRECT_DESC, PROTOCOL_FEATURES");
	tap_ok(pf & (1ull << 9), "GET_PROTOCOL_FEATURES offers CONFIG");
	tap_ok(cid == CID, "GET_CONFIG answers the guest CID (%llu)", (unsigned long long)cid);
	tap_ok(ih_vsock_listen(vs, PORT, &listen_fd) == 0, "listen on host port %d", PORT);
	fg_rx_fill(&g, 64);
}

/* Seccomp mode (0 none, 2 filter) of each thread: *ret_main for the main thread, returns
 * how many other threads run filtered. */
static int seccomp_threads(int *ret_main)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int filtered = 0;

	*ret_main = -1;
	while (d && (e = readdir(d))) {
		char path[300], line[128];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f)) {
			int mode;

			if (sscanf(line, "Seccomp: %d", &mode) != 1)
				continue;
			if (atoi(e->d_name) == getpid())
				*ret_main = mode;
			else
				filtered += mode == 2;
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return filtered;
}

/* Runs fn in a child confined like the backend thread; returns its wait status. */
static int confined_child(void (*fn)(void))
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		if (vsock_sandbox_apply() < 0)
			_exit(3);
		fn();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return status;
}

static void do_open(void)
{
	open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void do_mmap_exec(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void do_mmap_rw(void)
{
	if (mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
	    MAP_FAILED)
		_exit(4);
}

static void test_sandbox(void)
{
	int main_mode, st;

	tap_ok(seccomp_threads(&main_mode) == 1 && main_mode == 0,
	       "the backend thread runs under its seccomp filter, the main thread does not");
	st = confined_child(do_open);
	tap_ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "confined: open() kills (SIGSYS)");
	st = confined_child(do_mmap_exec);
	tap_ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	       "confined: an executable mmap kills (SIGSYS)");
	st = confined_child(do_mmap_rw);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "confined: a read-write mmap (guest memory) is allowed");
}

static void test_data(void)
{
	static char big[20000], got[20000];
	struct vsock_hdr h;
	size_t n = 0;
	int fd = guest_connect(GPORT);

	tap_ok(fd >= 0, "guest connect to a listening port: RESPONSE, and accept gives a stream");
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + 3);
	fg_send(&g, GPORT, PORT, VSOCK_OP_RW, 0, big, 3000, true);
	while (n < 3000 && wait_readable(fd, 2000)) {
		ssize_t r = read(fd, got + n, 3000 - n);

		if (r <= 0)
			break;
		n += (size_t)r;
	}
	tap_ok(n == 3000 && !memcmp(got, big, 3000),
	       "guest->host data intact (header and payload in separate descriptors)");

	g.buf_alloc = 8192;
	g.fwd_cnt = 0;
	fg_send(&g, GPORT, PORT, VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0, false);
	tap_ok(write(fd, big, sizeof(big)) == sizeof(big), "host writes 20000 bytes");
	n = 0;
	while (recv_pkt(&h, got + n, sizeof(got) - n, 300) && h.op == VSOCK_OP_RW)
		n += h.len;
	tap_ok(n == 8192, "host->guest stops at the guest's credit (8192 of 20000 bytes: %zu)", n);
	g.fwd_cnt = 8192;
	g.buf_alloc = 1u << 20;
	fg_send(&g, GPORT, PORT, VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0, false);
	while (n < sizeof(big) && recv_pkt(&h, got + n, sizeof(got) - n, 2000) &&
	       h.op == VSOCK_OP_RW)
		n += h.len;
	tap_ok(n == sizeof(big) && !memcmp(got, big, sizeof(big)),
	       "host->guest resumes after CREDIT_UPDATE, data intact (%zu bytes)", n);
	g.fwd_cnt = 0;

	fg_send(&g, GPORT, PORT, VSOCK_OP_CREDIT_REQUEST, 0, NULL, 0, false);
	tap_ok(fg_recv(&g, &h, NULL, 0, 2000) && h.op == VSOCK_OP_CREDIT_UPDATE &&
		       h.buf_alloc == VSOCK_BUF_ALLOC && h.fwd_cnt == 3000,
	       "CREDIT_REQUEST answered with CREDIT_UPDATE (buf_alloc, fwd_cnt 3000)");

	fg_send(&g, GPORT, PORT, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_SEND, NULL, 0, false);
	tap_ok(wait_readable(fd, 2000) && read(fd, got, 1) == 0,
	       "guest SHUTDOWN(send) gives the host stream end of file");
	close(fd);
	tap_ok(recv_pkt(&h, NULL, 0, 2000) && h.op == VSOCK_OP_SHUTDOWN &&
		       (h.flags & VSOCK_SHUTDOWN_SEND),
	       "host close gives the guest SHUTDOWN(send)");
	tap_ok(recv_pkt(&h, NULL, 0, 2000) && h.op == VSOCK_OP_RST && h.dst_port == GPORT,
	       "both sides done: RST closes the connection");
}

static void test_reset(void)
{
	struct vsock_hdr h;
	char c;
	int fd = guest_connect(GPORT + 1);
	ssize_t r;

	fg_send(&g, GPORT + 1, PORT, VSOCK_OP_RST, 0, NULL, 0, false);
	r = wait_readable(fd, 2000) ? read(fd, &c, 1) : 1;
	tap_ok(fd >= 0 && r <= 0, "guest RST closes the host stream");
	close(fd);

	fg_send(&g, GPORT + 2, PORT + 1, VSOCK_OP_REQUEST, 0, NULL, 0, false);
	tap_ok(recv_pkt(&h, NULL, 0, 2000) && h.op == VSOCK_OP_RST && h.dst_port == GPORT + 2 &&
		       h.src_port == PORT + 1,
	       "connect to a port nobody listens on gets RST");
	fg_send(&g, GPORT + 3, PORT, VSOCK_OP_RW, 0, "x", 1, false);
	tap_ok(recv_pkt(&h, NULL, 0, 2000) && h.op == VSOCK_OP_RST && h.dst_port == GPORT + 3,
	       "data for an unknown connection gets RST");
}

static void test_credit_enforced(void)
{
	static char chunk[65536];
	struct vsock_hdr h;
	int fd = guest_connect(GPORT + 4), reset = 0;
	size_t sent = 0;

	/* A hostile guest ignores our buf_alloc while the host does not read. */
	while (sent < (2u << 20) && !reset) {
		fg_send(&g, GPORT + 4, PORT, VSOCK_OP_RW, 0, chunk, sizeof(chunk), false);
		sent += sizeof(chunk);
		while (fg_recv(&g, &h, NULL, 0, 20))
			reset |= h.op == VSOCK_OP_RST && h.dst_port == GPORT + 4;
	}
	tap_ok(reset && sent <= (1u << 20),
	       "guest overrunning our credit is reset (after %zu KiB), memory stays bounded",
	       sent / 1024);
	tap_ok(logged("more than the credit"), "the credit overrun is logged");
	close(fd);
}

/* Puts one hand-built chain on the tx ring and waits for it to come back used. */
static int tx_chain(uint16_t head)
{
	fg_avail_add(&g, 1, head);
	return fg_tx_wait(&g, 2000) == 0;
}

/* A valid vsock header in fg's memory at gpa addr for len bytes to PORT from gport. */
static void put_hdr_in(struct fg *fg, uint64_t addr, uint32_t gport, uint16_t op, uint32_t len)
{
	struct vsock_hdr h = { htole64(CID),	  htole64(VSOCK_HOST_CID),
			       htole32(gport),	  htole32(PORT),
			       htole32(len),	  htole16(VSOCK_TYPE_STREAM),
			       htole16(op),	  0,
			       htole32(1u << 20), 0 };

	memcpy(fg->mem + addr, &h, sizeof(h));
}

static void put_hdr(uint64_t addr, uint32_t gport, uint16_t op, uint32_t len)
{
	put_hdr_in(&g, addr, gport, op, len);
}

static void test_malformed_chains(void)
{
	const uint64_t s = FG_SCRATCH;
	uint16_t d = FG_QNUM - 8; /* descriptors the fake driver does not use */
	int fd;

	put_hdr(s, GPORT + 20, VSOCK_OP_REQUEST, 0);
	fg_desc(&g, 1, d, FG_MEM_SIZE - 20, VSOCK_HDR_LEN, 0, 0);
	tap_ok(tx_chain(d) && logged("outside guest memory"),
	       "buffer past the end of guest memory: chain returned, reason logged");
	fg_desc(&g, 1, d, UINT64_MAX - 20, VSOCK_HDR_LEN, 0, 0);
	tap_ok(tx_chain(d) && logged("outside guest memory"),
	       "buffer whose address + length wraps around: rejected, logged");
	fg_desc(&g, 1, d, s, 20, VIRTQ_DESC_F_NEXT, d);
	tap_ok(tx_chain(d) && logged("loops"),
	       "descriptor chain looping on itself: returned, logged");
	fg_desc(&g, 1, d, s, 20, VIRTQ_DESC_F_NEXT, FG_QNUM + 5);
	tap_ok(tx_chain(d) && logged("next index outside"), "next index past the table: logged");

	/* Indirect tables: a good one first, so the checks below are not blanket refusals. */
	put_hdr(s + 0x1000, GPORT + 21, VSOCK_OP_REQUEST, 0);
	fg_desc(&g, 1, d, s + 0x100, 32, VIRTQ_DESC_F_INDIRECT, 0);
	memset(g.mem + s + 0x100, 0, 32);
	{
		uint64_t a = htole64(s + 0x1000);
		uint32_t l = htole32(VSOCK_HDR_LEN);

		memcpy(g.mem + s + 0x100, &a, 8);
		memcpy(g.mem + s + 0x108, &l, 4);
	}
	tap_ok(tx_chain(d) && guest_saw(VSOCK_OP_RESPONSE, GPORT + 21),
	       "a valid indirect table is followed (REQUEST through it answered)");
	if (wait_readable(listen_fd, 2000) && ih_vsock_accept(vs, listen_fd, &fd) == 0)
		close(fd);
	fg_desc(&g, 1, d, s + 0x100, 24, VIRTQ_DESC_F_INDIRECT, 0);
	tap_ok(tx_chain(d) && logged("multiple of 16"),
	       "indirect table length not a multiple of 16: rejected, logged");
	fg_desc(&g, 1, d, s + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	fg_desc_at(s + 0x100, s + 0x200, 16, VIRTQ_DESC_F_INDIRECT);
	tap_ok(tx_chain(d) && logged("inside an indirect table"),
	       "indirect table inside an indirect table: rejected, logged");
	/* The fuzzer's hang: an indirect table laid over the ring's own descriptor table. */
	fg_desc(&g, 1, d, g.q[1].desc + 16 * d, 16, VIRTQ_DESC_F_INDIRECT, 0);
	tap_ok(tx_chain(d) && logged("inside an indirect table"),
	       "indirect table that is the ring's own descriptor table: nested, rejected");
	fg_desc(&g, 1, d, FG_MEM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	tap_ok(tx_chain(d) && logged("indirect table outside"),
	       "indirect table reaching past guest memory: rejected, logged");
}

static void test_malformed_packets(void)
{
	struct vsock_hdr h = {
		CID, VSOCK_HOST_CID, GPORT + 22, PORT, 60000, VSOCK_TYPE_STREAM, VSOCK_OP_RW,
		0,   1u << 20,	     0
	};
	struct vsock_hdr r;
	int fd = guest_connect(GPORT + 22);

	fg_send_raw(&g, &h, 100);
	tap_ok(fd >= 0 && recv_op(&r, VSOCK_OP_RST, 2000) && r.dst_port == GPORT + 22 &&
		       logged("beyond the descriptors"),
	       "header length beyond its descriptors: connection reset, logged");
	close(fd);
	h.len = 70000;
	h.src_port = GPORT + 23;
	fg_send_raw(&g, &h, 70000);
	tap_ok(recv_op(&r, VSOCK_OP_RST, 2000) && logged("above 64 KiB"),
	       "header length above 64 KiB: RST, logged");
	h.len = 0;
	h.type = 2;
	h.op = VSOCK_OP_REQUEST;
	fg_send_raw(&g, &h, 0);
	tap_ok(recv_op(&r, VSOCK_OP_RST, 2000) && logged("other than stream"),
	       "seqpacket REQUEST (not negotiated): RST, logged");
	h.type = VSOCK_TYPE_STREAM;
	h.src_cid = 7;
	while (fg_recv(&g, &r, NULL, 0, 100))
		;
	fg_send_raw(&g, &h, 0);
	tap_ok(!fg_recv(&g, &r, NULL, 0, 200) && logged("from cid 7"),
	       "packet with a forged source CID: dropped, logged");
}

static void test_broken_ring(void)
{
	uint8_t *avail = g.mem + g.q[1].avail;
	uint16_t idx = g.q[1].avail_idx, bad = htole16((uint16_t)(idx + 1000));
	uint32_t st[2] = { 1, 0 };

	memcpy(avail + 2, &bad, 2);
	eventfd_write(g.q[1].kick, 1);
	usleep(100 * 1000);
	tap_ok(logged("avail index moved"), "avail index jumping past the queue size: logged");
	bad = htole16(idx);
	memcpy(avail + 2, &bad, 2);
	fg_msg(&g, 11, st, sizeof(st), NULL, 0, st, sizeof(st));
	tap_ok(st[1] == idx, "GET_VRING_BASE stops the ring at the next avail index (%u)", st[1]);
	put_hdr(g.q[1].desc, 0, 0, 0); /* harmless scribble, the ring is stopped */
	fg_ring_setup(&g, 1, (uint16_t)st[1]);
	tap_ok(device_works(GPORT + 24), "restarting the ring with SET_VRING_BASE recovers it");
}

/* EVENT_IDX both ways: calls only when the driver asked, avail_event kept current. */
static void test_event_idx(void)
{
	struct vsock_hdr h;
	uint64_t quiet, loud;
	uint16_t ae;

	fg_calls(&g, 1);
	g.used_event_ahead = 50;
	fg_send(&g, GPORT + 30, PORT + 1, VSOCK_OP_REQUEST, 0, NULL, 0, false);
	quiet = fg_calls(&g, 1);
	g.used_event_ahead = 0;
	fg_send(&g, GPORT + 31, PORT + 1, VSOCK_OP_REQUEST, 0, NULL, 0, false);
	loud = fg_calls(&g, 1);
	tap_ok(quiet == 0 && loud >= 1,
	       "EVENT_IDX: no call before the driver's used_event, a call once reached (%llu, "
	       "%llu)",
	       (unsigned long long)quiet, (unsigned long long)loud);
	memcpy(&ae, g.mem + g.q[1].used + 4 + 8 * FG_QNUM, 2);
	tap_ok(le16toh(ae) == g.q[1].avail_idx,
	       "EVENT_IDX: the device publishes avail_event = its next avail index (%u)",
	       le16toh(ae));
	while (fg_recv(&g, &h, NULL, 0, 100))
		;
}

/* A guest flooding the ring with bad chains cannot flood the launcher's log. */
static void test_log_rate(void)
{
	uint16_t d = FG_QNUM - 8;
	int lines = 0, windows;
	struct timespec t0, t1;
	char *p;

	sleep(1); /* a fresh rate window */
	logged("");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fg_desc(&g, 1, d, FG_MEM_SIZE, VSOCK_HDR_LEN, 0, 0);
	for (int i = 0; i < 200; i++)
		fg_avail_add(&g, 1, d);
	fg_tx_wait(&g, 2000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_mutex_lock(&log_lock);
	for (p = log_buf; (p = strchr(p, '\n')); p++)
		lines++;
	pthread_mutex_unlock(&log_lock);
	/* The backend takes the burst over several wakeups; on a loaded machine they may
	 * straddle one-second windows, each allowing 50 lines and one "dropped" line. */
	windows = (int)(t1.tv_sec - t0.tv_sec) + 2;
	tap_ok(lines >= 10 && lines <= 51 * windows,
	       "200 malformed chains in a burst log %d lines (limit 50/s, %d windows)", lines,
	       windows);
}

/* A master breaking the protocol stops that device, not the launcher. */
static void test_bad_master(void)
{
	struct ih_vsock *v = NULL;
	uint32_t st[2] = { 0, 1000 }; /* queue size not a power of two */
	int qfd = -1, fd = -1, lfd = -1;
	char c;

	if (ih_vsock_new(IH_VSOCK_USER, CID, &qfd, &v) < 0) {
		tap_ok(0, "second backend started");
		return;
	}
	sleep(1); /* out of the previous test's rate-limited second */
	logged("");
	send(qfd, (uint32_t[]){ 8, 1, 8 }, 12, MSG_NOSIGNAL);
	send(qfd, st, sizeof(st), MSG_NOSIGNAL);
	tap_ok(wait_readable(qfd, 2000) && recv(qfd, &c, 1, 0) == 0 && logged("SET_VRING_NUM"),
	       "malformed vhost-user request: logged, device closed");
	tap_ok(ih_vsock_connect(v, 9, &fd) == -ENOTCONN && ih_vsock_listen(v, 1, &lfd) == 0,
	       "the API keeps answering after the device failed (-ENOTCONN, listen works)");
	close(lfd);
	close(qfd);
	ih_vsock_free(v);
}

/* Another backend, with a fake QEMU and guest of its own through the whole start-up. */
static int second_device(struct ih_vsock **ret_v, struct fg *fg)
{
	uint64_t f, pf, cid;
	int qfd = -1;

	memset(fg, 0, sizeof(*fg));
	fg->sock = fg->memfd = -1;
	if (ih_vsock_new(IH_VSOCK_USER, CID, &qfd, ret_v) < 0)
		return -1;
	if (fg_init(fg, qfd, CID) < 0 || fg_start(fg, &f, &pf, &cid) < 0)
		return -1;
	return 0;
}

static int log_count(const char *s)
{
	int n = 0;

	pthread_mutex_lock(&log_lock);
	for (const char *p = log_buf; (p = strstr(p, s)); p++)
		n++;
	log_buf[0] = 0;
	pthread_mutex_unlock(&log_lock);
	return n;
}

/* Rings whose parts overlap could turn every push into new work: refused at setup. */
static void test_overlapping_rings(void)
{
	struct ih_vsock *v = NULL;
	struct fg o;
	uint32_t st[2] = { 1, 0 };
	uint64_t f = 0;
	int lines;

	sleep(1); /* out of the previous test's rate-limited second */
	logged("");
	if (second_device(&v, &o) < 0) {
		tap_ok(0, "third backend started");
		goto out;
	}
	fg_msg(&o, 11, st, sizeof(st), NULL, 0, st, sizeof(st)); /* GET_VRING_BASE: stop tx */
	o.q[1].used = o.q[1].avail + 16; /* the used ring over the avail ring */
	fg_ring_setup(&o, 1, (uint16_t)st[1]);
	fg_msg(&o, 1, NULL, 0, NULL, 0, &f, sizeof(f)); /* a reply: the setup was handled */
	lines = log_count("overlap");
	tap_ok(lines == 1,
	       "used ring overlapping the avail ring: refused at SET_VRING_ADDR, "
	       "one log line (%d)",
	       lines);
	put_hdr_in(&o, FG_SCRATCH, GPORT + 41, VSOCK_OP_REQUEST, 0);
	fg_desc(&o, 1, 0, FG_SCRATCH, VSOCK_HDR_LEN, 0, 0);
	fg_avail_add(&o, 1, 0);
	tap_ok(fg_tx_wait(&o, 300) == -ETIMEDOUT && log_count("vsock:") == 0,
	       "the device is broken: a packet on the refused ring is never taken");
out:
	ih_vsock_free(v);
	fg_free(&o);
}

struct spinner {
	struct fg *g;
	atomic_bool stop;
	atomic_ulong taken; /* tx chains the backend has returned */
};

/* The hostile driver: keeps its tx ring full forever, moving the avail index on as fast as
 * the device returns chains (never further than the queue size, so the ring stays valid). */
static void *spin_rings(void *arg)
{
	struct spinner *s = arg;
	uint8_t *avail = s->g->mem + s->g->q[1].avail, *used = s->g->mem + s->g->q[1].used;
	uint16_t seen = 0;

	while (!atomic_load(&s->stop)) {
		uint16_t u = le16toh(__atomic_load_n((uint16_t *)(used + 2), __ATOMIC_ACQUIRE));

		atomic_fetch_add(&s->taken, (uint16_t)(u - seen));
		seen = u;
		__atomic_store_n((uint16_t *)(avail + 2), htole16((uint16_t)(u + FG_QNUM)),
				 __ATOMIC_RELEASE);
		eventfd_write(s->g->q[1].kick, 1);
	}
	return NULL;
}

static long long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000LL + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * The launcher's wall-clock limit against a guest that spins its rings forever: the backend
 * keeps serving the launcher meanwhile, and stopping it (what ih_vm_kill does after killing
 * QEMU; here QEMU's socket even stays open) returns within a bounded time, says why, and
 * leaves no thread and no fd behind.
 */
static void test_spinning_guest(void)
{
	int tasks = count_dir("/proc/self/task"), fds = count_dir("/proc/self/fd");
	struct ih_vsock *v = NULL;
	struct spinner s = { .g = NULL };
	struct timespec t0;
	unsigned long taken;
	long long listen_ms, stop_ms;
	int lfd = -1, r;
	struct fg sp;
	pthread_t t;

	if (second_device(&v, &sp) < 0) {
		tap_ok(0, "spinning-guest backend started");
		ih_vsock_free(v);
		fg_free(&sp);
		return;
	}
	alarm(30); /* a backend that never lets go would hang the test: fail it instead */
	s.g = &sp;
	put_hdr_in(&sp, FG_SCRATCH, GPORT + 40, VSOCK_OP_RST, 0); /* dropped without a word */
	fg_desc(&sp, 1, 0, FG_SCRATCH, VSOCK_HDR_LEN, 0, 0); /* every avail slot names it */
	pthread_create(&t, NULL, spin_rings, &s);
	usleep(500 * 1000);
	taken = atomic_load(&s.taken);
	tap_ok(taken > 4 * FG_QNUM, "a guest keeping its tx ring full: %lu chains taken in 0.5 s",
	       taken);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = ih_vsock_listen(v, PORT, &lfd);
	listen_ms = ms_since(&t0);
	tap_ok(r == 0 && listen_ms < 500,
	       "meanwhile the backend still answers the launcher (listen in %lld ms)", listen_ms);
	logged("");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ih_vsock_free(v);
	stop_ms = ms_since(&t0);
	tap_ok(stop_ms < 1000 && logged("while the guest kept its rings busy"),
	       "the limit stops a backend whose rings spin forever: ih_vsock_free returns in "
	       "%lld ms, the backend says why",
	       stop_ms);
	atomic_store(&s.stop, true);
	pthread_join(t, NULL);
	close(lfd);
	fg_free(&sp);
	alarm(0);
	tap_ok(count_dir("/proc/self/task") == tasks && count_dir("/proc/self/fd") == fds,
	       "nothing left running: threads %d (before %d), fds %d (before %d)",
	       count_dir("/proc/self/task"), tasks, count_dir("/proc/self/fd"), fds);
}

static void *connect_thread(void *arg)
{
	int *fd = arg, err = ih_vsock_connect(vs, GPORT + 10, fd);

	if (err < 0)
		*fd = err;
	return NULL;
}

static void test_host_connect(void)
{
	struct vsock_hdr h;
	pthread_t t;
	int fd = -1, ok;
	char buf[8];

	pthread_create(&t, NULL, connect_thread, &fd);
	ok = recv_op(&h, VSOCK_OP_REQUEST, 2000) && h.dst_port == GPORT + 10;
	tap_ok(ok, "host connect sends the guest a REQUEST");
	fg_send(&g, GPORT + 10, h.src_port, VSOCK_OP_RESPONSE, 0, NULL, 0, false);
	pthread_join(t, NULL);
	tap_ok(fd >= 0, "guest RESPONSE completes ih_vsock_connect with a stream");
	fg_send(&g, GPORT + 10, h.src_port, VSOCK_OP_RW, 0, "pong", 4, false);
	tap_ok(fd >= 0 && wait_readable(fd, 2000) && read(fd, buf, 8) == 4,
	       "data flows on the host-initiated stream");
	if (fd >= 0)
		close(fd);
	while (fg_recv(&g, &h, NULL, 0, 100))
		;

	fd = -1;
	pthread_create(&t, NULL, connect_thread, &fd);
	ok = recv_op(&h, VSOCK_OP_REQUEST, 2000);
	fg_send(&g, GPORT + 10, h.src_port, VSOCK_OP_RST, 0, NULL, 0, false);
	pthread_join(t, NULL);
	tap_ok(ok && fd == -ECONNRESET, "guest RST refuses a host connect with -ECONNRESET");
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* QEMU going away resets connections; ih_vsock_free leaves no thread and no fd behind. */
static void test_teardown(void)
{
	int fd = guest_connect(GPORT + 27);
	char c;

	close(g.sock);
	g.sock = -1;
	tap_ok(fd >= 0 && wait_readable(fd, 2000) && read(fd, &c, 1) <= 0,
	       "QEMU closing the vhost-user socket resets open connections");
	if (fd >= 0)
		close(fd);
	tap_ok(ih_vsock_connect(vs, 9, &fd) == -ENOTCONN,
	       "host connect without a device fails with -ENOTCONN");
	close(listen_fd);
	ih_vsock_free(vs);
	fg_free(&g);
	tap_ok(count_dir("/proc/self/task") == 3, "ih_vsock_free joins the backend thread");
	tap_ok(count_dir("/proc/self/fd") == fds_before,
	       "ih_vsock_free closes every fd it opened (%d, before %d)",
	       count_dir("/proc/self/fd"), fds_before);
}

int main(void)
{
	ih_vsock_set_log(capture_log, NULL);
	fds_before = count_dir("/proc/self/fd");
	test_handshake();
	test_sandbox();
	test_data();
	test_reset();
	test_credit_enforced();
	tap_ok(device_works(GPORT + 5), "device still works after the resets");
	test_host_connect();
	test_malformed_chains();
	test_malformed_packets();
	tap_ok(device_works(GPORT + 25),
	       "device still works after the malformed rings and packets");
	test_broken_ring();
	test_event_idx();
	test_log_rate();
	test_bad_master();
	test_overlapping_rings();
	test_spinning_guest();
	tap_ok(fg_remap(&g) == 0 && device_works(GPORT + 26),
	       "second SET_MEM_TABLE (new memfd) re-maps guest memory; data still flows");
	test_teardown();
	return tap_done();
}
