/*
 * PID 1 of the guest root (/sbin/init, started by the initramfs through switch_root).
 *
 * Steps, in order: mount what the guest needs, set the hardening sysctls, print the root
 * mount line and IH-READY on the console, run the mode named by ih.mode= on the kernel
 * command line, reap what is left, power off. PID 1 never exits (the kernel would panic):
 * every path, success or failure, ends in ih_poweroff().
 *
 * Adding a mode is one line in the modes[] table below plus the function it names.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#include "doctor_mode.h"
#include "serve.h"
#include "sysctl.h"
#include "sysctl_conf.h"
#include "vsock_test_mode.h"

#define IH_CMDLINE_MAX 4096
#define IH_MODE_MAX 64

/* One guest mode: what PID 1 does once the root is up. Returns 0 or -errno. */
struct init_mode {
	const char *name;
	int (*run)(void);
};

static int mode_poweroff(void);

/* The default mode comes first: it runs when ih.mode= is absent. */
static const struct init_mode modes[] = {
	{ "poweroff", mode_poweroff }, /* report ready, then power off at once */
	{ "doctor", ih_doctor_mode }, /* run /sbin/ih-doctor, its TAP to the host */
	{ "serve", ih_serve }, /* the decode service over vsock (guest/init/serve.c) */
	{ "serve-hang", ih_serve_hang }, /* fault tests only: takes a request, never answers */
	{ "serve-bench", ih_serve_bench }, /* make bench only: times bare and sandboxed decodes */
	{ "vsock-test", ih_vsock_test_mode }, /* /sbin/ih-vsock-test, TEST rootfs only */
};

static void cleanup_fclose(FILE **f)
{
	if (*f)
		fclose(*f);
}

static void cleanup_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

#define cleanup_file __attribute__((cleanup(cleanup_fclose)))
#define cleanup_fd __attribute__((cleanup(cleanup_close)))

/*
 * Ends the VM. The kernel has no ACPI (kernel/defconfig.*), so a power-off request would
 * only halt the CPU with QEMU still running; a restart with reboot=t is a triple fault that
 * QEMU, started with -no-reboot, turns into its exit. If even that fails, exiting PID 1
 * makes the kernel panic, and panic=-1 resets the VM the same way.
 */
static __attribute__((noreturn)) void ih_poweroff(void)
{
	fflush(NULL);
	sync();
	reboot(RB_AUTOBOOT);
	_exit(1);
}

static __attribute__((noreturn, format(printf, 1, 2))) void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("ih-init: FAILED: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	ih_poweroff();
}

/* Mounts fstype on target unless a filesystem with that magic number is there already. */
static int mount_once(const char *target, const char *fstype, long magic, unsigned long flags,
		      const char *data)
{
	struct statfs st;

	if (mkdir(target, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (statfs(target, &st) == 0 && st.f_type == magic)
		return 0;
	if (mount(fstype, target, fstype, flags, data) < 0)
		return -errno;
	return 0;
}

static int mount_all(void)
{
	static const struct {
		const char *target, *fstype;
		long magic;
		unsigned long flags;
		const char *data;
	} mounts[] = {
		{ "/proc", "proc", PROC_SUPER_MAGIC, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
		{ "/sys", "sysfs", SYSFS_MAGIC, MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
		  NULL },
		{ "/dev", "devtmpfs", TMPFS_MAGIC, MS_NOSUID | MS_NOEXEC, "mode=0755" },
		/* Scratch space for the service; capped so a decode cannot eat guest memory. */
		{ "/tmp", "tmpfs", TMPFS_MAGIC, MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=64m,mode=1777" },
	};

	for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		int r = mount_once(mounts[i].target, mounts[i].fstype, mounts[i].magic,
				   mounts[i].flags, mounts[i].data);
		if (r < 0) {
			printf("ih-init: cannot mount %s on %s: %s\n", mounts[i].fstype,
			       mounts[i].target, strerror(-r));
			return r;
		}
	}
	return 0;
}

static void report_absent_sysctl(const struct ih_sysctl *s)
{
	printf("ih-init: sysctl %s is not in this kernel (feature compiled out)\n", s->name);
}

/*
 * The hardening sysctls of guest/init/sysctl.conf (shared/ref/hardening.md), for every mode. A
 * required one missing, or any that does not keep its value, stops the guest.
 */
static int set_sysctls(void)
{
	struct ih_sysctl failed;
	int r = ih_sysctl_apply(ih_sysctl_conf, "/proc/sys", report_absent_sysctl, &failed);

	if (r < 0)
		printf("ih-init: cannot set sysctl %s=%s: %s\n", failed.name, failed.value,
		       strerror(-r));
	return r;
}

/* Prints the line of /proc/self/mounts for "/" (the last one: it is the visible one). */
static int print_root_mount(void)
{
	cleanup_file FILE *f = fopen("/proc/self/mounts", "re");
	char line[1024], root[1024] = "";

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char dev[256], dir[256];

		if (sscanf(line, "%255s %255s", dev, dir) == 2 && !strcmp(dir, "/"))
			memcpy(root, line, sizeof(root));
	}
	if (!root[0])
		return -ENOENT;
	printf("ih-init: root: %s", root);
	return 0;
}

/* Copies the value of ih.mode= from the kernel command line; "" when absent. */
static int read_mode(char *ret_mode, size_t size)
{
	cleanup_fd int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	char cmdline[IH_CMDLINE_MAX];
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, cmdline, sizeof(cmdline) - 1);
	if (n < 0)
		return -errno;
	cmdline[n] = '\0';
	ret_mode[0] = '\0';
	for (char *save, *tok = strtok_r(cmdline, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save)) {
		if (strncmp(tok, "ih.mode=", 8))
			continue;
		if (strlen(tok + 8) >= size)
			return -ENAMETOOLONG;
		strcpy(ret_mode, tok + 8);
	}
	return 0;
}

static const struct init_mode *find_mode(const char *name)
{
	if (!name[0])
		return &modes[0];
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(modes[i].name, name))
			return &modes[i];
	return NULL;
}

static int mode_poweroff(void)
{
	return 0;
}

/* Collects every exited child; PID 1 inherits all orphans. */
static void reap_children(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int main(void)
{
	char mode_name[IH_MODE_MAX];
	const struct init_mode *mode;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getpid() != 1)
		fail("must run as PID 1");
	if (mount_all() < 0)
		fail("mounting /proc, /sys, /dev, /tmp");
	r = set_sysctls();
	if (r < 0)
		fail("setting the hardening sysctls: %s", strerror(-r));
	r = print_root_mount();
	if (r < 0)
		fail("reading the root mount from /proc/self/mounts: %s", strerror(-r));
	r = read_mode(mode_name, sizeof(mode_name));
	if (r < 0)
		fail("reading ih.mode= from /proc/cmdline: %s", strerror(-r));
	mode = find_mode(mode_name);
	if (!mode)
		fail("unknown ih.mode=%s", mode_name);
	puts("IH-READY");
	r = mode->run();
	reap_children();
	if (r < 0)
		fail("mode %s: %s", mode->name, strerror(-r));
	printf("ih-init: mode %s done, powering off\n", mode->name);
	ih_poweroff();
}
