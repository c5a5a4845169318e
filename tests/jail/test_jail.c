/*
 * The VMM jail on a small helper (tests/jail/jail_helper.c): the layers measured in its
 * /proc entries, Landlock denials for files and TCP, fd hygiene, --jail=strict refusals and
 * the best-effort warning. Runs as this user and, when root, again as nobody.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/jail/jail.h"
#include "host/doctor/jail_doctor.h"
#include "jail_test.h"

#define GUEST_MEM (128ULL << 20)

static char helper[PATH_MAX];
static char tmpdir[64];
static char allowed[128];

static char helper_dir[64];

/* Copies src to dst (mode 0555); 0 or -errno. */
static int copy_file(const char *src, const char *dst)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, r = 0;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0555);
	if (out < 0)
		r = -errno;
	while (r == 0 && (n = read(in, buf, sizeof(buf))) != 0)
		if (n < 0 || write(out, buf, (size_t)n) != n)
			r = errno ? -errno : -EIO;
	close(in);
	if (out >= 0)
		close(out);
	return r;
}

/*
 * The helper is run from a copy in a fresh world-readable directory under /tmp: the suite
 * also runs as nobody, who cannot reach a build tree under a private home (/root is 0700).
 */
static void set_paths(void)
{
	char exe[PATH_MAX] = { 0 }, built[PATH_MAX + 16];

	if (readlink("/proc/self/exe", exe, sizeof(exe) - 1) < 0)
		exit(1);
	snprintf(built, sizeof(built), "%s/jail_helper", dirname(exe));
	snprintf(helper_dir, sizeof(helper_dir), "/tmp/ih-jail-helper-XXXXXX");
	if (!mkdtemp(helper_dir) || chmod(helper_dir, 0755) < 0) {
		perror("test_jail: a directory for the helper");
		exit(1);
	}
	snprintf(helper, sizeof(helper), "%s/jail_helper", helper_dir);
	if (copy_file(built, helper) < 0) {
		fprintf(stderr, "test_jail: cannot copy %s to %s\n", built, helper);
		exit(1);
	}
}

static void remove_helper(void)
{
	unlink(helper);
	rmdir(helper_dir);
}

static struct ih_jail_cfg base_cfg(enum ih_jail_mode mode)
{
	static const char *ro[2];
	struct ih_jail_cfg cfg = { .mode = mode, .guest_mem = GUEST_MEM, .ro_paths = ro };

	ro[0] = allowed;
	ro[1] = NULL;
	return cfg;
}

/* Runs the helper with one action under cfg; its exit status, or a negative errno. */
static int run_helper(const struct ih_jail_cfg *cfg, const char *action, const char *arg,
		      struct ih_jail_report *rep)
{
	char *argv[] = { helper, (char *)action, (char *)arg, NULL };
	pid_t pid;
	int r = ih_jail_spawn(cfg, argv, NULL, 0, &pid, rep);

	if (r < 0)
		return r;
	r = wait_timeout(pid, 10 * 1000);
	ih_jail_release(rep);
	return r;
}

static int count_dev(pid_t pid, char *names, size_t len)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/root/dev", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	names[0] = '\0';
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			size_t used = strlen(names), add = strlen(e->d_name);

			n++;
			if (used + add + 2 > len)
				continue;
			names[used] = ' ';
			memcpy(names + used + 1, e->d_name, add + 1);
		}
	closedir(d);
	return n;
}

/* fd open in pid, and its flags from fdinfo (octal), or -1 when it is not open. */
static long fd_flags(pid_t pid, int fd)
{
	char path[64], line[128];
	long flags = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags:", 6))
			flags = strtol(line + 6, NULL, 8);
	fclose(f);
	return flags;
}

static void check_measured(const char *who, pid_t pid, const struct ih_jail_report *rep)
{
	struct ih_jail_measured m;
	int layer = -1;
	bool root = geteuid() == 0;

	if (!tap_ok(ih_jail_measure(pid, &m) == 0, "%s: /proc/<pid> of the jailed helper reads",
		    who))
		return;
	tap_ok(m.no_new_privs == 1, "%s: NoNewPrivs is 1", who);
	tap_ok(!m.cap_eff && !m.cap_prm && !m.cap_amb && !m.cap_bnd,
	       "%s: CapEff, CapPrm, CapAmb and CapBnd are 0 (eff %llx bnd %llx)", who,
	       (unsigned long long)m.cap_eff, (unsigned long long)m.cap_bnd);
	tap_ok((m.active & IH_JAIL_BIT(IH_JAIL_NETNS)) && m.netns_ifaces == 1,
	       "%s: own network namespace holding only lo (%d interfaces)", who, m.netns_ifaces);
	tap_ok((m.active & IH_JAIL_BIT(IH_JAIL_IPCNS)) && (m.active & IH_JAIL_BIT(IH_JAIL_UTSNS)) &&
		       (m.active & IH_JAIL_BIT(IH_JAIL_MNTNS)),
	       "%s: own IPC, UTS and mount namespaces", who);
	tap_ok(root || (m.active & IH_JAIL_BIT(IH_JAIL_USERNS)),
	       "%s: own user namespace when not root", who);
	tap_ok(m.rlimit_as == GUEST_MEM + IH_JAIL_AS_MARGIN,
	       "%s: RLIMIT_AS is guest memory + margin (%llu MiB)", who,
	       (unsigned long long)(m.rlimit_as >> 20));
	tap_ok(m.rlimit_core == 0 && m.rlimit_fsize == GUEST_MEM + IH_JAIL_FSIZE &&
		       m.rlimit_nofile == IH_JAIL_NOFILE && m.rlimit_nproc == IH_JAIL_NPROC,
	       "%s: RLIMIT_CORE 0, FSIZE, NOFILE and NPROC at the jail's values", who);
	tap_ok(m.seccomp == 0 && (rep->skipped & IH_JAIL_BIT(IH_JAIL_SECCOMP)),
	       "%s: seccomp is QEMU's: a helper without -sandbox has none and it is reported", who);
	tap_ok((m.active & IH_JAIL_BIT(IH_JAIL_TMP)) && (m.active & IH_JAIL_BIT(IH_JAIL_DEV)),
	       "%s: private /tmp and /dev are mounted", who);
	tap_ok(ih_jail_verify(rep, &m, ih_jail_expected(rep) & ~IH_JAIL_BIT(IH_JAIL_SECCOMP),
			      &layer) == 0,
	       "%s: every layer the jail applied is measured in force (missing: %s)", who,
	       layer < 0 ? "none" : ih_jail_layer_name(layer));
}

static void check_dev_and_fds(const char *who, pid_t pid, int kept, int leaked)
{
	char names[256];
	long flags = fd_flags(pid, kept);

	tap_ok(count_dev(pid, names, sizeof(names)) == 3 && strstr(names, " null") &&
		       strstr(names, " urandom") && strstr(names, " fd"),
	       "%s: its /dev holds only null, urandom and fd (%s)", who, names);
	tap_ok(flags >= 0 && !(flags & O_CLOEXEC), "%s: kept fd %d is open without CLOEXEC", who,
	       kept);
	tap_ok(fd_flags(pid, leaked) < 0, "%s: inheritable fd %d it was not given is closed", who,
	       leaked);
}

/*
 * Waits up to 10 s for the helper's "started" byte on rd: until then the dynamic loader may
 * hold a file of its own open at any free fd, and the fd checks would read it.
 */
static int wait_started(int rd)
{
	struct pollfd p = { .fd = rd, .events = POLLIN };
	char c;

	if (poll(&p, 1, 10000) != 1 || read(rd, &c, 1) != 1)
		return -1;
	return 0;
}

static void test_layers(const char *who)
{
	struct ih_jail_cfg cfg = base_cfg(IH_JAIL_BEST_EFFORT);
	struct ih_jail_report rep;
	int ready[2] = { -1, -1 };
	char kept_arg[16];
	char *argv[] = { helper, "sleep", kept_arg, NULL };
	int leaked, kept, r;
	pid_t pid;
	char warn[512];

	if (pipe2(ready, O_CLOEXEC) < 0) {
		tap_ok(0, "%s: a pipe for the helper's start (%s)", who, strerror(errno));
		return;
	}
	kept = ready[1];
	leaked = open("/dev/null", O_RDONLY);
	snprintf(kept_arg, sizeof(kept_arg), "%d", kept);
	r = ih_jail_spawn(&cfg, argv, &kept, 1, &pid, &rep);
	ih_jail_warning(&rep, warn, sizeof(warn));
	if (warn[0])
		tap_diag("%s: %s", who, warn);
	if (tap_ok(r == 0, "%s: best-effort jail starts the helper (%s)", who, strerror(-r))) {
		tap_ok(wait_started(ready[0]) == 0, "%s: the jailed helper writes on its kept fd",
		       who);
		check_measured(who, pid, &rep);
		check_dev_and_fds(who, pid, kept, leaked);
		kill(pid, SIGKILL);
		wait_timeout(pid, 5000);
		ih_jail_release(&rep);
	}
	close(ready[0]);
	close(kept);
	close(leaked);
}

/* The same checks fail on an unjailed process: they can tell the difference. */
static void test_measure_negative(const char *who)
{
	struct ih_jail_cfg cfg = base_cfg(IH_JAIL_OFF);
	struct ih_jail_report rep,
		jailed = { .applied = IH_JAIL_BIT(IH_JAIL_NNP) | IH_JAIL_BIT(IH_JAIL_NETNS) };
	struct ih_jail_measured m;
	char *argv[] = { helper, "sleep", NULL };
	pid_t pid;
	int layer = -1;
	bool ok;

	if (!tap_ok(ih_jail_spawn(&cfg, argv, NULL, 0, &pid, &rep) == 0,
		    "%s: --jail=off starts the helper", who))
		return;
	ok = ih_jail_measure(pid, &m) == 0 && m.no_new_privs == 0 &&
	     !(m.active & IH_JAIL_BIT(IH_JAIL_NETNS)) &&
	     ih_jail_verify(&jailed, &m, ih_jail_expected(&jailed), &layer) < 0;
	tap_ok(ok, "%s: unjailed helper measured without NoNewPrivs and netns, verify names %s",
	       who, layer < 0 ? "nothing" : ih_jail_layer_name(layer));
	kill(pid, SIGKILL);
	wait_timeout(pid, 5000);
}

static void test_landlock_files(const char *who)
{
	struct ih_jail_cfg cfg = base_cfg(IH_JAIL_BEST_EFFORT);
	struct ih_jail_cfg off = base_cfg(IH_JAIL_OFF);
	struct ih_jail_report rep;
	int r;

	r = run_helper(&off, "read", "/etc/passwd", &rep);
	tap_ok(r == 0, "%s: control: unjailed helper reads /etc/passwd (%d)", who, r);
	r = run_helper(&cfg, "read", "/etc/passwd", &rep);
	tap_ok(r == EACCES, "%s: Landlock: jailed helper cannot read /etc/passwd (%s)", who,
	       r > 0 ? strerror(r) : "no errno");
	r = run_helper(&cfg, "read", allowed, &rep);
	tap_ok(r == 0, "%s: jailed helper reads the image file it was given (%d)", who, r);
	r = run_helper(&cfg, "write", allowed, &rep);
	tap_ok(r == EACCES || r == EROFS, "%s: jailed helper cannot write the image file (%s)", who,
	       r > 0 ? strerror(r) : "no errno");
}

static int listen_tcp(int *ret_port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*ret_port = ntohs(sin.sin_port);
	return fd;
}

static void test_landlock_net(const char *who)
{
	struct ih_jail_cfg cfg = base_cfg(IH_JAIL_BEST_EFFORT);
	struct ih_jail_cfg off = base_cfg(IH_JAIL_OFF);
	struct ih_jail_report rep;
	char port[16];
	int p = 0, r;
	int lfd = listen_tcp(&p);

	snprintf(port, sizeof(port), "%d", p);
	r = run_helper(&off, "connect", port, &rep);
	tap_ok(lfd >= 0 && r == 0, "%s: control: unjailed helper connects to 127.0.0.1:%d", who, p);
	cfg.forbid = IH_JAIL_BIT(IH_JAIL_NETNS);
	r = run_helper(&cfg, "connect", port, &rep);
	tap_ok(r == EACCES, "%s: Landlock alone (host netns) denies TCP connect (%s)", who,
	       r > 0 ? strerror(r) : "no errno");
	cfg.forbid = IH_JAIL_BIT(IH_JAIL_LANDLOCK);
	r = run_helper(&cfg, "connect", port, &rep);
	tap_ok(r > 0 && r != EACCES, "%s: the empty netns alone makes 127.0.0.1 unreachable (%s)",
	       who, r > 0 ? strerror(r) : "no errno");
	if (lfd >= 0)
		close(lfd);
}

/* Landlock withheld: strict stops in the child before exec, best-effort goes on and says so.
 * The cgroup layer is opted out so that a host without cgroup v2 controllers still gets here. */
static void test_strict(const char *who)
{
	struct ih_jail_cfg cfg = base_cfg(IH_JAIL_STRICT);
	struct ih_jail_report rep;
	char msg[512];
	int r;

	cfg.forbid = IH_JAIL_BIT(IH_JAIL_LANDLOCK);
	cfg.optout = IH_JAIL_BIT(IH_JAIL_CGROUP) | IH_JAIL_BIT(IH_JAIL_SECCOMP);
	r = run_helper(&cfg, "read", allowed, &rep);
	ih_jail_describe(&rep, msg, sizeof(msg));
	tap_ok(r < 0 && rep.failed_layer == IH_JAIL_LANDLOCK && strstr(msg, "'landlock'") &&
		       strstr(msg, "Hint:"),
	       "%s: --jail=strict refuses without Landlock: %s", who, msg);
	cfg.mode = IH_JAIL_BEST_EFFORT;
	r = run_helper(&cfg, "read", "/etc/passwd", &rep);
	ih_jail_warning(&rep, msg, sizeof(msg));
	tap_ok(r == 0 && strstr(msg, "landlock"),
	       "%s: best-effort runs without Landlock and warns in one line: %s", who, msg);
}

/* Image files named through a link in /tmp (as the boot test does) stay readable, and a
 * missing one stops the start even in best-effort: a broken rule set is not "unavailable". */
static void test_tmp_links(const char *who)
{
	struct ih_jail_cfg cfg = base_cfg(IH_JAIL_BEST_EFFORT);
	struct ih_jail_report rep;
	const char *ro[2] = { NULL, NULL };
	char link[160];
	int r;

	snprintf(link, sizeof(link), "%s/link-to-passwd", tmpdir);
	if (symlink("/etc/passwd", link) < 0) {
		tap_ok(0, "%s: make a link in /tmp", who);
		return;
	}
	ro[0] = link;
	cfg.ro_paths = ro;
	r = run_helper(&cfg, "read", link, &rep);
	tap_ok(r == 0, "%s: an image file named by a link under /tmp is readable in the jail (%d)",
	       who, r);
	unlink(link);
	ro[0] = "/nonexistent/rootfs.squashfs";
	r = run_helper(&cfg, "read", "/etc/hostname", &rep);
	tap_ok(r < 0 && rep.failed_layer >= 0 && !(rep.skipped & IH_JAIL_BIT(IH_JAIL_LANDLOCK)),
	       "%s: a missing image file stops a best-effort start (layer %s: %s)", who,
	       ih_jail_layer_name(rep.failed_layer), strerror(rep.failed_err));
}

/* Not root and no user namespace: what is left still applies, RLIMIT_NPROC (which would
 * count all of this user's processes) is left alone, and Landlock still denies. */
static void test_no_userns(const char *who)
{
	struct ih_jail_cfg cfg = base_cfg(IH_JAIL_BEST_EFFORT);
	struct ih_jail_report rep;
	struct ih_jail_measured m;
	struct rlimit own;
	char *argv[] = { helper, "sleep", NULL };
	pid_t pid;
	int r;

	if (geteuid() == 0) {
		tap_skip("%s: root needs no user namespace", who);
		return;
	}
	getrlimit(RLIMIT_NPROC, &own);
	cfg.forbid = IH_JAIL_BIT(IH_JAIL_USERNS);
	r = ih_jail_spawn(&cfg, argv, NULL, 0, &pid, &rep);
	if (!tap_ok(r == 0, "%s: without a user namespace best-effort still starts (%s)", who,
		    strerror(-r)))
		return;
	r = ih_jail_measure(pid, &m);
	tap_ok(r == 0 && m.no_new_privs == 1 && !m.cap_eff &&
		       m.rlimit_nproc ==
			       (own.rlim_cur == RLIM_INFINITY ? UINT64_MAX : own.rlim_cur) &&
		       (rep.skipped & IH_JAIL_BIT(IH_JAIL_NETNS)) &&
		       (rep.applied & IH_JAIL_BIT(IH_JAIL_LANDLOCK)),
	       "%s: then NoNewPrivs, no caps, Landlock, RLIMIT_NPROC untouched, netns reported "
	       "skipped",
	       who);
	kill(pid, SIGKILL);
	wait_timeout(pid, 5000);
	ih_jail_release(&rep);
}

/* A cgroup root whose controllers lack memory: strict names the cgroup layer. */
static void test_strict_cgroup(const char *who)
{
	struct ih_jail_cfg cfg = base_cfg(IH_JAIL_STRICT);
	struct ih_jail_report rep;
	char root[128], file[160], msg[512];
	FILE *f;
	int r;

	snprintf(root, sizeof(root), "%s/cgroup-without-memory", tmpdir);
	snprintf(file, sizeof(file), "%s/cgroup.controllers", root);
	mkdir(root, 0755);
	f = fopen(file, "we");
	if (f) {
		fputs("cpu pids\n", f);
		fclose(f);
	}
	cfg.cgroup_root = root;
	cfg.optout = IH_JAIL_BIT(IH_JAIL_SECCOMP);
	r = run_helper(&cfg, "read", allowed, &rep);
	ih_jail_describe(&rep, msg, sizeof(msg));
	tap_ok(r == -EOPNOTSUPP && rep.failed_layer == IH_JAIL_CGROUP &&
		       strstr(msg, "--cgroup-root"),
	       "%s: --jail=strict refuses a cgroup root without the memory controller: %s", who,
	       msg);
	unlink(file);
	rmdir(root);
}

static void test_probe(const char *who)
{
	struct ih_jail_cfg cfg = base_cfg(IH_JAIL_BEST_EFFORT);
	unsigned int avail = 0;
	int err[IH_JAIL_NLAYERS];
	unsigned int must = IH_JAIL_BIT(IH_JAIL_NNP) | IH_JAIL_BIT(IH_JAIL_RLIMITS);

	tap_ok(ih_jail_probe(&cfg, &avail, err) == 0 && (avail & must) == must,
	       "%s: probe finds at least no-new-privs and rlimits", who);
	for (int l = 0; l < IH_JAIL_NLAYERS; l++)
		tap_diag("%s: host allows %-13s %s", who, ih_jail_layer_name(l),
			 avail & IH_JAIL_BIT(l) ? "yes"
			 : err[l]		? strerror(err[l])
						: "not needed here");
	cfg.forbid = IH_JAIL_BIT(IH_JAIL_LANDLOCK);
	tap_ok(ih_jail_probe(&cfg, &avail, err) == 0 && !(avail & IH_JAIL_BIT(IH_JAIL_LANDLOCK)),
	       "%s: probe reports a layer the host withholds as unavailable", who);
}

/* The doctor's line agrees with the probe: PASS only when nothing is missing, and each
 * missing layer is named; under a sysroot it does not probe at all. */
static void test_doctor_line(const char *who)
{
	struct ih_jail_cfg cfg = base_cfg(IH_JAIL_BEST_EFFORT);
	struct ih_host_ctx live = { .sysroot = "" }, fake = { .sysroot = "/nonexistent" };
	struct ih_host_result r;
	unsigned int avail = 0, want = (1U << IH_JAIL_NLAYERS) - 1;
	int err[IH_JAIL_NLAYERS];
	bool named = true;

	if (geteuid() == 0)
		want &= ~IH_JAIL_BIT(IH_JAIL_USERNS);
	ih_jail_probe(&cfg, &avail, err);
	ih_jail_host_check(&live, &r);
	for (int l = 0; l < IH_JAIL_NLAYERS; l++)
		if ((want & ~avail & IH_JAIL_BIT(l)) && !strstr(r.detail, ih_jail_layer_name(l)))
			named = false;
	tap_ok((r.v == IH_HOST_PASS) == ((avail & want) == want) && named,
	       "%s: doctor --host's jail line matches the probe: %s", who, r.detail);
	ih_jail_host_check(&fake, &r);
	tap_ok(r.v == IH_HOST_ABSENT && strstr(r.detail, "live host"),
	       "%s: under a sysroot the jail line is a SKIP, not a probe of this host", who);
}

static void test_parse(void)
{
	enum ih_jail_mode m = IH_JAIL_OFF;

	tap_ok(ih_jail_parse_mode("strict", &m) == 0 && m == IH_JAIL_STRICT &&
		       ih_jail_parse_mode("best-effort", &m) == 0 && m == IH_JAIL_BEST_EFFORT &&
		       ih_jail_parse_mode("off", &m) == 0 && m == IH_JAIL_OFF,
	       "--jail= parses strict, best-effort and off");
	tap_ok(ih_jail_parse_mode("Strict", &m) == -EINVAL && ih_jail_parse_mode("", &m) == -EINVAL,
	       "--jail= rejects other spellings");
}

static void suite(const char *who)
{
	FILE *f;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ih-jail-test-XXXXXX");
	if (!tap_ok(mkdtemp(tmpdir) != NULL, "%s: make a scratch directory", who))
		return;
	snprintf(allowed, sizeof(allowed), "%s/guest.img", tmpdir);
	f = fopen(allowed, "we");
	if (f) {
		fputs("image\n", f);
		fclose(f);
	}
	test_layers(who);
	test_measure_negative(who);
	test_landlock_files(who);
	test_landlock_net(who);
	test_strict(who);
	test_strict_cgroup(who);
	test_tmp_links(who);
	test_no_userns(who);
	test_probe(who);
	test_doctor_line(who);
	unlink(allowed);
	rmdir(tmpdir);
}

int main(void)
{
	set_paths();
	test_parse();
	run_as_users(suite);
	remove_helper();
	return tap_done();
}
