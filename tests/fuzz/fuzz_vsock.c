/*
 * libFuzzer target over the vsock backend's ring and packet parsing: the input is the
 * guest memory (tests/fuzz/fuzz_vsock.h); the backend drains the tx ring, answers on the
 * rx ring, takes data from the host side of every connection it opened, and tears down.
 * With FZ_MODE_MESSAGES set in the first byte, the rest is QEMU's side of the vhost-user
 * socket instead, fed to the message layer.
 * ASan and UBSan report any access outside guest memory or undefined arithmetic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_vsock.h"
#include "host/vsock/vsock_ctl.h"
#include "host/vsock/vsock_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vu_dev dev;
static struct vsock_proto proto;
static uint8_t mem[FZ_MEM_SIZE] __attribute__((aligned(4096)));

static void setup_rings(uint8_t flags)
{
	memset(&dev, 0, sizeof(dev));
	dev.sock = -1;
	dev.guest_cid = FZ_CID;
	vu_mem_set_static(&dev.mem, 0, FZ_UVA, mem, sizeof(mem));
	for (int q = 0; q < VU_NUM_QUEUES; q++) {
		struct virtq *vq = &dev.vq[q];

		virtq_init(vq);
		vq->num = FZ_QNUM;
		vq->desc_uva = FZ_UVA + FZ_DESC(q);
		vq->avail_uva = FZ_UVA + FZ_AVAIL(q);
		vq->used_uva = FZ_UVA + FZ_USED(q);
		vq->addr_set = vq->enabled = vq->started = true;
		vq->event_idx = flags & 1;
		vq->indirect = flags & 2;
		virtq_map(vq, &dev.mem);
		virtq_sync_used(vq);
	}
}

/* Host side: every accepted stream gets some bytes to send to the guest, then is closed. */
static void host_side(int listen_fd)
{
	static const char hello[300] = "host data";
	char one = 0;
	int fd;

	while (vsock_ctl_recv(listen_fd, &one, 1, MSG_DONTWAIT, &fd) > 0 && fd >= 0) {
		send(fd, hello, sizeof(hello), MSG_DONTWAIT | MSG_NOSIGNAL);
		close(fd);
	}
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
		vsock_proto_conn_event(&proto, i, 0x1 | 0x4); /* EPOLLIN | EPOLLOUT */
}

/* Message mode: the input is a stream of vhost-user requests from QEMU (without fds). */
static void fuzz_messages(const uint8_t *data, size_t size)
{
	struct vu_dev d;
	int sv[2];

	if (size > FZ_MSG_MAX || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	if (send(sv[1], data, size, MSG_NOSIGNAL) != (ssize_t)size)
		abort();
	shutdown(sv[1], SHUT_WR);
	vu_dev_init(&d, sv[0], FZ_CID);
	while (vu_dev_handle(&d) == 0)
		;
	vu_dev_close(&d);
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int listen_fd = -1;

	if (size < 1)
		return 0;
	if (data[0] & FZ_MODE_MESSAGES) {
		fuzz_messages(data + 1, size - 1);
		return 0;
	}
	memset(mem, 0, sizeof(mem));
	memcpy(mem, data + 1, size - 1 < sizeof(mem) ? size - 1 : sizeof(mem));
	setup_rings(data[0]);
	vsock_proto_init(&proto, &dev, -1, -1);
	if (vsock_proto_listen(&proto, FZ_LISTEN_PORT, &listen_fd) < 0)
		abort();
	vsock_proto_process(&proto);
	host_side(listen_fd);
	vsock_proto_process(&proto);
	vsock_proto_free(&proto);
	close(listen_fd);
	vu_mem_clear(&dev.mem);
	return 0;
}
