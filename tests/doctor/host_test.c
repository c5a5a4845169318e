/*
 * The launcher's side of `ih-vm doctor`: the TAP relay against a lying or hostile guest
 * (over a socketpair), and the --host checks against a fake host (a sysroot, a fake QEMU
 * script, fake probes). Each check is shown passing on a good input and failing on a bad one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/doctor/doctor_host.h"
#include "host/doctor/doctor_tap.h"
#include "tap.h"

/* Relays text (sent by a "guest" then closed, unless keep_open) with a deadline of ms. */
static int relay_text(const char *text, size_t len, bool keep_open, int ms,
		      struct ih_tap_summary *s, char *out, size_t out_len)
{
	int sv[2], r;
	FILE *f = fmemopen(out, out_len, "w");

	if (!f || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (write(sv[1], text, len) != (ssize_t)len)
		return -EIO;
	if (!keep_open)
		close(sv[1]);
	r = ih_tap_relay(sv[0], ih_tap_now_ms() + ms, f, s);
	fclose(f);
	close(sv[0]);
	if (keep_open)
		close(sv[1]);
	return r;
}

static void test_relay(void)
{
	static char out[65536];
	struct ih_tap_summary s;
	const char good[] = "TAP version 13\nok 1 - a\n#   why\nok 2 - b # SKIP no\n1..2\n";
	const char failing[] = "ok 1 - a\nnot ok 2 - b\n1..2\n";
	const char short_plan[] = "ok 1 - a\n1..2\n";
	const char no_plan[] = "ok 1 - a\nok 2 - b\n";
	const char renumbered[] = "ok 1 - a\nok 1 - a again\n1..2\n";
	const char escape[] = "ok 1 - \x1b]0;owned\x07 title\n1..1\n";
	static char long_line[IH_TAP_LINE_MAX + 64];
	int r;

	r = relay_text(good, strlen(good), false, 5000, &s, out, sizeof(out));
	tap_ok(r == 0 && ih_tap_all_passed(&s) && s.passed == 1 && s.skipped == 1,
	       "a complete passing report counts as passed");
	r = relay_text(failing, strlen(failing), false, 5000, &s, out, sizeof(out));
	tap_ok(r == 0 && ih_tap_complete(&s) && !ih_tap_all_passed(&s) && s.failed == 1,
	       "a report with one 'not ok' is complete and not passed");
	r = relay_text(short_plan, strlen(short_plan), false, 5000, &s, out, sizeof(out));
	tap_ok(r == 0 && !ih_tap_complete(&s), "a report with fewer results than its plan fails");
	r = relay_text(no_plan, strlen(no_plan), false, 5000, &s, out, sizeof(out));
	tap_ok(r == 0 && !ih_tap_complete(&s), "a report without a plan fails");
	r = relay_text(renumbered, strlen(renumbered), false, 5000, &s, out, sizeof(out));
	tap_ok(r == 0 && !ih_tap_all_passed(&s), "a report that repeats a result number fails");
	r = relay_text(escape, strlen(escape), false, 5000, &s, out, sizeof(out));
	tap_ok(r == 0 && !strchr(out, '\x1b') && !strchr(out, '\x07') && strstr(out, "?]0;owned?"),
	       "terminal escape sequences from the guest are neutralised");
	memset(long_line, 'A', sizeof(long_line) - 1);
	r = relay_text(long_line, strlen(long_line), false, 5000, &s, out, sizeof(out));
	tap_ok(r == -EPROTO, "an overlong line is a protocol error (%d)", r);
	r = relay_text(good, 10, true, 300, &s, out, sizeof(out));
	tap_ok(r == -ETIMEDOUT, "a guest that stops talking runs into the deadline (%d)", r);
}

static char root[256];

static void put(const char *rel, const char *content, mode_t mode)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (char *c = strchr(p + strlen(root) + 1, '/'); c; c = strchr(c + 1, '/')) {
		*c = '\0';
		mkdir(p, 0755);
		*c = '/';
	}
	f = fopen(p, "we");
	if (!f || fputs(content, f) < 0 || fclose(f)) {
		tap_diag("cannot write %s", p);
		exit(1);
	}
	chmod(p, mode);
}

static int fake_abi = 6, fake_seccomp, fake_userns;

static int probe_abi(void)
{
	return fake_abi;
}

static int probe_seccomp(void)
{
	return fake_seccomp;
}

static int probe_userns(void)
{
	return fake_userns;
}

static enum ih_host_verdict check(const struct ih_host_ctx *ctx, const char *name,
				  struct ih_host_result *r)
{
	for (size_t i = 0; i < ih_host_checks_count; i++) {
		if (strcmp(ih_host_checks[i].name, name))
			continue;
		memset(r, 0, sizeof(*r));
		ih_host_checks[i].fn(ctx, r);
		tap_diag("%s: %s %s", name, r->detail, r->hint);
		return r->v;
	}
	tap_diag("no host check named %s", name);
	return (enum ih_host_verdict) - 1;
}

#define QEMU_GOOD                                                                                  \
	"#!/bin/sh\n"                                                                              \
	"case $1 in --version) echo 'QEMU emulator version 7.2.0';;\n"                             \
	"-device) echo 'name \"vhost-user-vsock-device\", bus virtio-bus'; "                       \
	"echo 'name \"vhost-vsock-device\", bus virtio-bus';; esac\n"
#define QEMU_OLD                                                                                   \
	"#!/bin/sh\n"                                                                              \
	"case $1 in --version) echo 'QEMU emulator version 2.11.1';;\n"                            \
	"-device) echo 'name \"vhost-vsock-pci\", bus PCI';; esac\n"

static struct ih_host_ctx ctx = {
	.sysroot = root,
	.landlock_abi = probe_abi,
	.seccomp_filter = probe_seccomp,
	.userns = probe_userns,
};

static void make_fake_host(void)
{
	snprintf(root, sizeof(root), "%s/ih-host-test.XXXXXX", getenv("TMPDIR") ?: "/tmp");
	if (!mkdtemp(root))
		exit(1);
	put("bin/qemu-good", QEMU_GOOD, 0755);
	put("bin/qemu-old", QEMU_OLD, 0755);
	put("bin/not-qemu", "#!/bin/sh\necho hello\n", 0755);
	put("proc/sys/user/max_user_namespaces", "1000\n", 0644);
}

static void remove_fake_host(void)
{
	static const char *const files[] = { "bin/qemu-good", "bin/qemu-old", "bin/not-qemu",
					     "dev/vhost-vsock",
					     "proc/sys/user/max_user_namespaces" };
	static const char *const dirs[] = { "bin", "dev", "proc/sys/user", "proc/sys", "proc", "" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, files[i]);
		unlink(path);
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		rmdir(path);
	}
}

static void test_qemu_checks(void)
{
	char good_qemu[PATH_MAX], old_qemu[PATH_MAX], fake[PATH_MAX];
	struct ih_host_result r;

	snprintf(good_qemu, sizeof(good_qemu), "%s/bin/qemu-good", root);
	snprintf(old_qemu, sizeof(old_qemu), "%s/bin/qemu-old", root);
	snprintf(fake, sizeof(fake), "%s/bin/not-qemu", root);
	ctx.qemu = good_qemu;
	tap_ok(check(&ctx, "QEMU present", &r) == IH_HOST_PASS && strstr(r.detail, "7.2.0"),
	       "QEMU present: passes and shows the version");
	tap_ok(check(&ctx, "QEMU vsock devices", &r) == IH_HOST_PASS,
	       "QEMU with vhost-user-vsock-device passes");
	ctx.qemu = old_qemu;
	tap_ok(check(&ctx, "QEMU vsock devices", &r) == IH_HOST_FAIL && r.hint[0],
	       "QEMU without vhost-user-vsock-device fails with a Hint");
	ctx.qemu = fake;
	tap_ok(check(&ctx, "QEMU present", &r) == IH_HOST_FAIL && r.hint[0],
	       "a binary that is not QEMU fails with a Hint");
	ctx.qemu = NULL;
	tap_ok(check(&ctx, "QEMU present", &r) == IH_HOST_FAIL && strstr(r.hint, "apt-get"),
	       "no QEMU at all fails with an install Hint");
}

static void test_kernel_checks(void)
{
	struct ih_host_result r;

	tap_ok(check(&ctx, "KVM", &r) == IH_HOST_ABSENT && strstr(r.detail, "tcg"),
	       "a host without /dev/kvm: KVM absent, auto chooses tcg");
	tap_ok(check(&ctx, "/dev/vhost-vsock", &r) == IH_HOST_ABSENT && r.hint[0],
	       "no /dev/vhost-vsock: absent, the built-in backend is named");
	put("dev/vhost-vsock", "", 0600);
	tap_ok(check(&ctx, "/dev/vhost-vsock", &r) == IH_HOST_PASS,
	       "/dev/vhost-vsock present passes");
	tap_ok(check(&ctx, "Landlock on the host", &r) == IH_HOST_PASS, "Landlock ABI 6 passes");
	fake_abi = -EOPNOTSUPP;
	tap_ok(check(&ctx, "Landlock on the host", &r) == IH_HOST_FAIL && strstr(r.hint, "lsm="),
	       "Landlock not in lsm= fails with the lsm= Hint");
	tap_ok(check(&ctx, "seccomp on the host", &r) == IH_HOST_PASS, "seccomp filter passes");
	fake_seccomp = -EINVAL;
	tap_ok(check(&ctx, "seccomp on the host", &r) == IH_HOST_FAIL && r.hint[0],
	       "no seccomp filter mode fails with a Hint");
	tap_ok(check(&ctx, "user namespaces", &r) == IH_HOST_PASS, "user namespaces pass");
	fake_userns = -EPERM;
	tap_ok(check(&ctx, "user namespaces", &r) == IH_HOST_FAIL && r.hint[0],
	       "unshare(CLONE_NEWUSER) refused fails with a Hint");
	fake_userns = 0;
	put("proc/sys/user/max_user_namespaces", "0\n", 0644);
	tap_ok(check(&ctx, "user namespaces", &r) == IH_HOST_FAIL, "max_user_namespaces 0 fails");
}

int main(void)
{
	test_relay();
	make_fake_host();
	test_qemu_checks();
	test_kernel_checks();
	remove_fake_host();
	return tap_done();
}
