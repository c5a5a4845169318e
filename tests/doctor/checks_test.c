/*
 * The doctor's checks, fed on the host: a fake root tree of a well-hardened guest passes
 * every check; each weakened variant (a setuid file, a writable binary, a cmdline without
 * slab_nomerge, a kernel with modules, ...) makes exactly the matching check fail.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor.h"
#include "tap.h"

#define MAX_RESULTS 128

/* The loader the doctor expects /sbin/init to name (doctor/checks_fs.c). */
#if defined(__x86_64__)
#define LOADER "/lib64/ld-linux-x86-64.so.2"
#define LIBDIR "lib/x86_64-linux-gnu"
#elif defined(__aarch64__)
#define LOADER "/lib/ld-linux-aarch64.so.1"
#define LIBDIR "lib/aarch64-linux-gnu"
#endif

static const char cmdline_expected[] = "# the test's kernel/cmdline\n"
				       "console=ttyS0 # serial console\n"
				       "root=/dev/vda ro # read-only root\n"
				       "init_on_alloc=1 slab_nomerge # heap hardening\n"
				       "# page allocator free lists shuffled\n"
				       "page_alloc.shuffle=1\n";
static const char sysctl_expected[] =
	"# NAME VALUE NEED REASON\n"
	"kernel.kptr_restrict 2 required hide kernel pointers\n"
	"fs.protected_fifos 2 required no foreign FIFOs\n"
	"kernel.yama.ptrace_scope 3 if-present no ptrace (this fake kernel has no Yama)\n";

static char root[256];

/* The fake kernel: probes answer as a hardened 6.12 guest unless a case changes them. */
static int fake_abi, fake_module_errno, fake_seccomp, fake_proc_mem_force, fake_umip;

static int probe_landlock(void)
{
	return fake_abi;
}

static int probe_module(void)
{
	return fake_module_errno;
}

static int probe_seccomp(void)
{
	return fake_seccomp;
}

static int probe_proc_mem_force(void)
{
	return fake_proc_mem_force;
}

static int probe_umip(void)
{
	return fake_umip;
}

static const struct ih_doctor_probes fake_probes = {
	.landlock_abi = probe_landlock,
	.module_load_errno = probe_module,
	.seccomp_filter = probe_seccomp,
	.proc_mem_force = probe_proc_mem_force,
	.umip = probe_umip,
};

struct result {
	char name[128];
	char reason[128];
	enum ih_verdict v;
	char detail[IH_DETAIL_MAX];
};

struct results {
	int n;
	struct result r[MAX_RESULTS];
};

static void collect(void *arg, const char *name, const char *reason, enum ih_verdict v,
		    const char *detail)
{
	struct results *res = arg;

	if (res->n >= MAX_RESULTS)
		return;
	snprintf(res->r[res->n].name, sizeof(res->r[0].name), "%s", name);
	snprintf(res->r[res->n].reason, sizeof(res->r[0].reason), "%s", reason);
	snprintf(res->r[res->n].detail, sizeof(res->r[0].detail), "%s", detail);
	res->r[res->n++].v = v;
}

/* The absolute path of rel under the fake root, with its parent directories made. */
static void at(const char *rel, char *p, size_t len)
{
	snprintf(p, len, "%s/%s", root, rel);
	for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	unlink(p);
}

/* Writes <root>/rel with content and mode. */
static void put(const char *rel, const char *content, mode_t mode)
{
	char p[PATH_MAX];
	int fd;

	at(rel, p, sizeof(p));
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
		tap_diag("cannot write %s: %s", p, strerror(errno));
		exit(1);
	}
	fchmod(fd, mode);
	close(fd);
}

/* Writes <root>/rel as a minimal ELF64 file whose PT_INTERP names interp (NULL: static). */
static void put_elf(const char *rel, const char *interp, mode_t mode)
{
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph;
		char interp[64];
	} elf = {
		.eh = {
			.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
			.e_type = ET_DYN,
			.e_phoff = sizeof(Elf64_Ehdr),
			.e_ehsize = sizeof(Elf64_Ehdr),
			.e_phentsize = sizeof(Elf64_Phdr),
			.e_phnum = 1,
		},
		.ph = {
			.p_type = interp ? PT_INTERP : PT_LOAD,
			.p_offset = offsetof(typeof(elf), interp),
			.p_filesz = interp ? strlen(interp) + 1 : 0,
		},
	};
	char p[PATH_MAX];
	int fd;

	snprintf(elf.interp, sizeof(elf.interp), "%s", interp ? interp : "");
	at(rel, p, sizeof(p));
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, &elf, sizeof(elf)) != (ssize_t)sizeof(elf)) {
		tap_diag("cannot write %s: %s", p, strerror(errno));
		exit(1);
	}
	fchmod(fd, mode);
	close(fd);
}

static void dir(const char *rel)
{
	char p[PATH_MAX];

	at(rel, p, sizeof(p));
	mkdir(p, 0755);
}

static void link_to(const char *rel, const char *target)
{
	char p[PATH_MAX];

	at(rel, p, sizeof(p));
	if (symlink(target, p) < 0)
		tap_diag("symlink %s: %s", p, strerror(errno));
}

static void rm(const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	unlink(p);
}

#define MOUNTS_GOOD                                                                                \
	"overlay / overlay rw,relatime,lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work 0 0\n"  \
	"proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"                                    \
	"sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"                                   \
	"devtmpfs /dev devtmpfs rw,nosuid,noexec,size=4k 0 0\n"                                    \
	"tmpfs /tmp tmpfs rw,nosuid,nodev,size=16384k 0 0\n"

#define STATUS_SELF "Name:\tih-doctor\nUid:\t0\t0\t0\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n"

/* A guest as it should be: every check passes (or skips where the kernel lacks a feature). */
static void make_good_tree(void)
{
	put("proc/cmdline",
	    "console=ttyS0 root=/dev/vda ro init_on_alloc=1 slab_nomerge "
	    "page_alloc.shuffle=1 ih.mode=doctor\n",
	    0444);
	put("proc/filesystems", "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\n\tsquashfs\n", 0444);
	put("proc/self/mounts", MOUNTS_GOOD, 0444);
	put("proc/self/status", STATUS_SELF, 0444);
	put("proc/sys/kernel/tainted", "0\n", 0644);
	put("proc/sys/kernel/kptr_restrict", "2\n", 0644);
	put("proc/sys/fs/protected_fifos", "2\n", 0644);
	put("proc/sys/vm/mmap_rnd_bits", "32\n", 0644);
	put("sys/module/kfence/parameters/sample_interval", "100\n", 0600);
	put("proc/1/comm", "init\n", 0444);
	put("proc/2/comm", "ih-doctor\n", 0444);
	put("proc/1/status", "Name:\tinit\nPPid:\t0\n", 0444);
	put("proc/3/status", "Name:\tkworker/0:0\nPPid:\t2\n", 0444);
	put("proc/9/status", "Name:\tih-doctor\nPPid:\t1\n", 0444);
	put("proc/10/status", "Name:\tdecoder\nPPid:\t9\n", 0444);
	put("dev/vda", "hsqs\x04", 0600);
	put("sys/block/vda/ro", "1\n", 0444);
	dir("sys/class/net/lo");
	put("sys/kernel/security/lsm", "capability,landlock,lockdown\n", 0444);
	put("sys/kernel/security/lockdown", "none integrity [confidentiality]\n", 0444);
	put_elf("sbin/init", LOADER, 0555);
	put_elf(LOADER + 1, NULL, 0555);
	put(LIBDIR "/libc.so.6",
	    "\x7f"
	    "ELF",
	    0444);
	put("proc/1/environ", "", 0400);
	put("sbin/ih-doctor",
	    "\x7f"
	    "ELF",
	    0555);
	put("etc/passwd", "root:x:0:0::/:/sbin/nologin\n", 0444);
	dir("tmp");
	fake_abi = 6;
	fake_module_errno = ENOSYS;
	fake_seccomp = 0;
	fake_proc_mem_force = 0;
	fake_umip = 1;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void run(struct results *res)
{
	struct ih_doctor d = {
		.root = root,
		.cmdline_expected = cmdline_expected,
		.sysctl_expected = sysctl_expected,
		.probes = &fake_probes,
		.landlock_abi_min = 6,
		.mmap_rnd_bits = 32,
		.kfence_interval_ms = 100,
		.self = 9,
	};

	res->n = 0;
	ih_doctor_run(&d, collect, res);
}

static const struct result *find(const struct results *res, const char *name)
{
	for (int i = 0; i < res->n; i++)
		if (!strcmp(res->r[i].name, name))
			return &res->r[i];
	return NULL;
}

/* One weakening of the good tree, and the check that must catch it. */
struct weakening {
	const char *what;
	void (*apply)(void);
	const char *check;
	const char *also; /* a second check the same weakening rightly trips, or NULL */
};

static void w_modules(void)
{
	fake_module_errno = EFAULT;
}

static void w_dev_mem(void)
{
	put("dev/mem", "", 0640);
}

static void w_dev_kmem(void)
{
	put("dev/kmem", "", 0640);
}

static void w_dev_port(void)
{
	put("dev/port", "", 0640);
}

static void w_kcore(void)
{
	put("proc/kcore", "", 0400);
}

static void w_proc_modules(void)
{
	put("proc/modules", "evil 16384 0 - Live 0x0000000000000000\n", 0444);
}

static void w_debugfs_built(void)
{
	put("proc/filesystems", "nodev\tsysfs\nnodev\tdebugfs\n", 0444);
}

static void w_debugfs_mounted(void)
{
	put("proc/self/mounts", MOUNTS_GOOD "debugfs /sys/kernel/debug debugfs rw 0 0\n", 0444);
}

static void w_ipv6(void)
{
	put("proc/net/if_inet6", "00000000000000000000000000000001 01 80 10 80       lo\n", 0444);
}

static void w_kallsyms(void)
{
	put("proc/kallsyms", "0000000000000000 T _text\n", 0444);
}

static void w_config_gz(void)
{
	put("proc/config.gz", "\x1f\x8b", 0444);
}

static void w_tainted(void)
{
	put("proc/sys/kernel/tainted", "4096\n", 0644);
}

static void w_tainted_beyond_randstruct(void)
{
	/* 'T' (RANDSTRUCT build, 1 << 17) plus 'W' (a kernel warning, 1 << 9). */
	put("proc/sys/kernel/tainted", "131584\n", 0644);
}

static void w_no_seccomp_line(void)
{
	put("proc/self/status", "Name:\tih-doctor\nUid:\t0\t0\t0\t0\n", 0444);
}

static void w_no_seccomp_filter(void)
{
	fake_seccomp = -EINVAL;
}

static void w_landlock_old(void)
{
	fake_abi = 5;
}

static void w_landlock_off(void)
{
	fake_abi = -EOPNOTSUPP;
}

static void w_landlock_absent(void)
{
	fake_abi = -ENOSYS;
}

static void w_lockdown_none(void)
{
	put("sys/kernel/security/lockdown", "[none] integrity confidentiality\n", 0444);
}

static void w_lockdown_integrity(void)
{
	put("sys/kernel/security/lockdown", "none [integrity] confidentiality\n", 0444);
}

static void w_lockdown_hidden(void)
{
	rm("sys/kernel/security/lockdown");
}

static void w_mmap_rnd_default(void)
{
	put("proc/sys/vm/mmap_rnd_bits", "28\n", 0644);
}

static void w_kfence_absent(void)
{
	rm("sys/module/kfence/parameters/sample_interval");
}

static void w_kfence_off(void)
{
	put("sys/module/kfence/parameters/sample_interval", "0\n", 0600);
}

static void w_kfence_rare(void)
{
	put("sys/module/kfence/parameters/sample_interval", "10000\n", 0600);
}

static void w_proc_mem_force(void)
{
	fake_proc_mem_force = 1;
}

static void w_proc_mem_probe(void)
{
	fake_proc_mem_force = -EACCES;
}

static void w_umip_off(void)
{
	fake_umip = 0;
}

static void w_no_slab_nomerge(void)
{
	put("proc/cmdline", "console=ttyS0 root=/dev/vda ro init_on_alloc=1 page_alloc.shuffle=1\n",
	    0444);
}

static void w_init_on_alloc_0(void)
{
	put("proc/cmdline",
	    "console=ttyS0 root=/dev/vda ro init_on_alloc=0 slab_nomerge page_alloc.shuffle=1\n",
	    0444);
}

static void w_rw_root(void)
{
	put("proc/cmdline",
	    "console=ttyS0 root=/dev/vda rw init_on_alloc=1 slab_nomerge page_alloc.shuffle=1\n",
	    0444);
}

static void w_sysctl_value(void)
{
	put("proc/sys/kernel/kptr_restrict", "0\n", 0644);
}

static void w_sysctl_missing(void)
{
	rm("proc/sys/fs/protected_fifos");
}

static void w_vda_ext4(void)
{
	put("dev/vda", "\0\0\0\0\0\0", 0600);
}

static void w_vda_rw(void)
{
	put("sys/block/vda/ro", "0\n", 0444);
}

static void w_root_ext4(void)
{
	put("proc/self/mounts", "/dev/vda / ext4 ro,relatime 0 0\n", 0444);
}

static void w_overlay_no_upper(void)
{
	put("proc/self/mounts", "overlay / overlay ro,lowerdir=/a:/b 0 0\n", 0444);
}

static void w_rw_disk_mount(void)
{
	put("proc/self/mounts", MOUNTS_GOOD "/dev/vdb /data ext4 rw,relatime 0 0\n", 0444);
}

static void w_setuid(void)
{
	put("usr/bin/escalate",
	    "\x7f"
	    "ELF",
	    04555);
}

static void w_setgid(void)
{
	put("usr/bin/kmemgroup",
	    "\x7f"
	    "ELF",
	    02555);
}

static void w_writable_binary(void)
{
	put("sbin/ih-doctor",
	    "\x7f"
	    "ELF",
	    0755);
}

static void w_foreign_binary(void)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/sbin/init", root);
	if (chown(p, 1000, 1000) < 0)
		tap_diag("chown %s: %s", p, strerror(errno));
}

static void w_shell(void)
{
	put("bin/sh",
	    "\x7f"
	    "ELF",
	    0555);
}

static void w_busybox_link(void)
{
	link_to("usr/bin/busybox", "/sbin/init");
}

static void w_library_writable(void)
{
	put(LIBDIR "/libc.so.6", "", 0644);
}

static void w_library_foreign(void)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/" LIBDIR "/libc.so.6", root);
	if (chown(p, 1000, 1000) < 0)
		tap_diag("chown %s: %s", p, strerror(errno));
}

static void w_library_setgid(void)
{
	put(LIBDIR "/libm.so.6", "", 02444);
}

static void w_library_symlink(void)
{
	link_to(LIBDIR "/libz.so.1", "/tmp/libz.so.1");
}

static void w_library_dir_writable(void)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/" LIBDIR, root);
	chmod(p, 0777);
}

static void w_init_other_loader(void)
{
	put_elf("sbin/init", "/tmp/ld.so", 0555);
}

static void w_loader_symlink(void)
{
	link_to(LOADER + 1, "/tmp/ld.so");
}

static void w_init_not_elf(void)
{
	put("sbin/init", "#!/bin/sh\n", 0555);
}

static void w_env_ld_preload(void)
{
	static const char env[] = "HOME=/\0LD_PRELOAD=/tmp/evil.so\0";
	char p[PATH_MAX];
	int fd;

	at("proc/1/environ", p, sizeof(p));
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0400);
	if (fd < 0 || write(fd, env, sizeof(env) - 1) != (ssize_t)sizeof(env) - 1)
		tap_diag("cannot write %s: %s", p, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void w_env_tunables(void)
{
	put("proc/1/environ", "GLIBC_TUNABLES=glibc.malloc.check=3", 0400);
}

static void w_nic(void)
{
	dir("sys/class/net/eth0");
}

static void w_sshd(void)
{
	put("proc/42/comm", "sshd\n", 0444);
}

static void w_cron(void)
{
	put("proc/43/comm", "cron\n", 0444);
}

static void w_systemd(void)
{
	put("proc/44/comm", "systemd-journal\n", 0444);
}

static void w_stray_process(void)
{
	put("proc/45/status", "Name:\tnc\nPPid:\t1\n", 0444);
}

static void w_stray_grandchild(void)
{
	put("proc/46/status", "Name:\tminer\nPPid:\t45\n", 0444);
	put("proc/45/status", "Name:\tsh\nPPid:\t1\n", 0444);
}

static const struct weakening weakenings[] = {
	{ "kernel with module syscalls", w_modules, "no kernel module loading", NULL },
	{ "/dev/mem present", w_dev_mem, "no /dev/mem", NULL },
	{ "/dev/kmem present", w_dev_kmem, "no /dev/kmem", NULL },
	{ "/dev/port present", w_dev_port, "no /dev/port", NULL },
	{ "/proc/kcore present", w_kcore, "no /proc/kcore", NULL },
	{ "a module listed in /proc/modules", w_proc_modules, "/proc/modules empty or absent",
	  NULL },
	{ "debugfs built in", w_debugfs_built, "no debugfs", NULL },
	{ "debugfs mounted", w_debugfs_mounted, "no debugfs",
	  "no writable mount but tmpfs and the overlay" },
	{ "IPv6 stack present", w_ipv6, "no IPv6", NULL },
	{ "kallsyms readable", w_kallsyms, "no kallsyms", NULL },
	{ "/proc/config.gz present", w_config_gz, "no /proc/config.gz", NULL },
	{ "kernel tainted", w_tainted, "kernel not tainted", NULL },
	{ "kernel warned, beside the RANDSTRUCT flag", w_tainted_beyond_randstruct,
	  "kernel not tainted", NULL },
	{ "kernel without seccomp", w_no_seccomp_line, "seccomp available", NULL },
	{ "seccomp without filter mode", w_no_seccomp_filter, "seccomp available", NULL },
	{ "Landlock ABI 5", w_landlock_old, "landlock ABI", NULL },
	{ "Landlock not in lsm=", w_landlock_off, "landlock ABI", NULL },
	{ "Landlock not built", w_landlock_absent, "landlock ABI", NULL },
	{ "lockdown none", w_lockdown_none, "lockdown confidentiality", NULL },
	{ "lockdown integrity only", w_lockdown_integrity, "lockdown confidentiality", NULL },
	{ "lockdown LSM active, file hidden", w_lockdown_hidden, "lockdown confidentiality", NULL },
	{ "mmap_rnd_bits at the x86_64 default 28", w_mmap_rnd_default, "mmap randomisation bits",
	  NULL },
	{ "kernel without KFENCE", w_kfence_absent, "KFENCE active", NULL },
	{ "KFENCE disabled (interval 0)", w_kfence_off, "KFENCE active", NULL },
	{ "KFENCE sampling every 10 s", w_kfence_rare, "KFENCE active", NULL },
	{ "/proc/pid/mem writes through read-only pages", w_proc_mem_force,
	  "/proc/self/mem honours page protections", NULL },
	{ "/proc/pid/mem probe refused", w_proc_mem_probe,
	  "/proc/self/mem honours page protections", NULL },
	{ "UMIP CPU, SIDT shows the real IDT", w_umip_off, "UMIP where the CPU has it", NULL },
	{ "cmdline without slab_nomerge", w_no_slab_nomerge, "cmdline has slab_nomerge", NULL },
	{ "cmdline with init_on_alloc=0", w_init_on_alloc_0, "cmdline has init_on_alloc=1", NULL },
	{ "cmdline with rw", w_rw_root, "cmdline has ro", NULL },
	{ "kptr_restrict 0", w_sysctl_value, "sysctl kernel.kptr_restrict = 2", NULL },
	{ "required sysctl missing", w_sysctl_missing, "sysctl fs.protected_fifos = 2", NULL },
	{ "/dev/vda not squashfs", w_vda_ext4, "/dev/vda is squashfs", NULL },
	{ "/dev/vda writable", w_vda_rw, "/dev/vda read-only", NULL },
	{ "root on ext4", w_root_ext4, "root is overlay (lowerdir, upperdir)", NULL },
	{ "overlay root without upperdir", w_overlay_no_upper,
	  "root is overlay (lowerdir, upperdir)", NULL },
	{ "a disk mounted read-write", w_rw_disk_mount,
	  "no writable mount but tmpfs and the overlay", NULL },
	{ "a setuid file", w_setuid, "no setuid files", "guest binaries 0555, root-owned" },
	{ "a setgid file", w_setgid, "no setgid files", "guest binaries 0555, root-owned" },
	{ "a writable binary (0755)", w_writable_binary, "guest binaries 0555, root-owned", NULL },
	{ "a binary owned by uid 1000", w_foreign_binary, "guest binaries 0555, root-owned", NULL },
	{ "/bin/sh present", w_shell, "no shell in the root", NULL },
	{ "a busybox symlink", w_busybox_link, "no shell in the root", NULL },
	{ "a library writable by root (0644)", w_library_writable,
	  "shared libraries root-owned, read-only", NULL },
	{ "a library owned by uid 1000", w_library_foreign,
	  "shared libraries root-owned, read-only", NULL },
	{ "a setgid library", w_library_setgid, "shared libraries root-owned, read-only",
	  "no setgid files" },
	{ "a library symlink into /tmp", w_library_symlink,
	  "shared libraries root-owned, read-only", NULL },
	{ "a library directory writable by all", w_library_dir_writable,
	  "shared libraries root-owned, read-only", NULL },
	{ "init names /tmp/ld.so as its loader", w_init_other_loader,
	  "/sbin/init's interpreter is the system loader", NULL },
	{ "the loader a symlink into /tmp", w_loader_symlink,
	  "/sbin/init's interpreter is the system loader",
	  "shared libraries root-owned, read-only" },
	{ "init no ELF file", w_init_not_elf, "/sbin/init's interpreter is the system loader",
	  NULL },
	{ "LD_PRELOAD in init's environment", w_env_ld_preload,
	  "no LD_* or GLIBC_TUNABLES in init's environment", NULL },
	{ "GLIBC_TUNABLES in init's environment", w_env_tunables,
	  "no LD_* or GLIBC_TUNABLES in init's environment", NULL },
	{ "a NIC eth0", w_nic, "only lo in /sys/class/net", NULL },
	{ "sshd running", w_sshd, "no sshd, cron or systemd", NULL },
	{ "cron running", w_cron, "no sshd, cron or systemd", NULL },
	{ "systemd-journald running", w_systemd, "no sshd, cron or systemd", NULL },
	{ "a stray process beside init", w_stray_process, "only init and the doctor run", NULL },
	{ "a stray process's child", w_stray_grandchild, "only init and the doctor run", NULL },
};

static void fresh_root(void)
{
	if (root[0])
		nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	snprintf(root, sizeof(root), "%s/ih-doctor-test.XXXXXX", getenv("TMPDIR") ?: "/tmp");
	if (!mkdtemp(root)) {
		tap_diag("mkdtemp: %s", strerror(errno));
		exit(1);
	}
	make_good_tree();
}

/* The good tree: every result passes, except the if-present sysctl the fake kernel lacks. */
static void test_good_tree(void)
{
	static struct results res;
	int bad = 0;

	fresh_root();
	run(&res);
	for (int i = 0; i < res.n; i++) {
		if (res.r[i].v == IH_FAIL) {
			tap_diag("good tree: %s failed: %s", res.r[i].name, res.r[i].detail);
			bad++;
		}
	}
	tap_ok(bad == 0 && res.n > 30, "a hardened tree passes all %d checks", res.n);
	tap_ok(find(&res, "cmdline has page_alloc.shuffle=1") &&
		       !strcmp(find(&res, "cmdline has page_alloc.shuffle=1")->reason,
			       "page allocator free lists shuffled") &&
		       find(&res, "cmdline has slab_nomerge") &&
		       !strcmp(find(&res, "cmdline has slab_nomerge")->reason, "heap hardening"),
	       "each cmdline token carries the comment beside or above it as its reason");
	tap_ok(find(&res, "sysctl kernel.yama.ptrace_scope = 3") &&
		       find(&res, "sysctl kernel.yama.ptrace_scope = 3")->v == IH_SKIP,
	       "an if-present sysctl the kernel lacks is a skip, not a pass");
}

/* A kernel built with RANDSTRUCT is born with taint bit 17; that alone is not a taint. */
static void test_randstruct_taint(void)
{
	static struct results res;
	const struct result *r;

	fresh_root();
	put("proc/sys/kernel/tainted", "131072\n", 0644);
	run(&res);
	r = find(&res, "kernel not tainted");
	if (r)
		tap_diag("tainted 131072 -> %s", r->detail);
	tap_ok(r && r->v == IH_PASS, "the RANDSTRUCT build flag alone (tainted 131072) passes");
}

/* A CPU without UMIP (or not an x86 CPU) is a skip: the kernel cannot turn it on there. */
static void test_umip_skips(void)
{
	static struct results res;
	const int answers[] = { -ENODEV, -EOPNOTSUPP };
	int ok = 1;

	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		const struct result *r;

		fresh_root();
		fake_umip = answers[i];
		run(&res);
		r = find(&res, "UMIP where the CPU has it");
		ok &= r && r->v == IH_SKIP;
		if (r)
			tap_diag("UMIP probe %s -> %s", ih_errname(-answers[i]), r->detail);
	}
	tap_ok(ok, "a CPU without UMIP, or not x86, makes the UMIP check a skip, not a pass");
}

/* A static /sbin/init names no loader: nothing to check, so the loader check passes. */
static void test_static_init(void)
{
	static struct results res;
	const struct result *r;

	fresh_root();
	put_elf("sbin/init", NULL, 0555);
	run(&res);
	r = find(&res, "/sbin/init's interpreter is the system loader");
	if (r)
		tap_diag("static init -> %s", r->detail);
	tap_ok(r && r->v == IH_PASS, "a static /sbin/init passes the loader check");
}

/* Each weakening fails its own check and no other. */
static void test_weakening(const struct weakening *w)
{
	static struct results res;
	const struct result *hit;
	int others = 0;

	fresh_root();
	w->apply();
	run(&res);
	hit = find(&res, w->check);
	for (int i = 0; i < res.n; i++)
		if (res.r[i].v == IH_FAIL && strcmp(res.r[i].name, w->check) &&
		    (!w->also || strcmp(res.r[i].name, w->also))) {
			tap_diag("%s: also failed %s: %s", w->what, res.r[i].name, res.r[i].detail);
			others++;
		}
	if (hit)
		tap_diag("%s -> %s", w->what, hit->detail);
	if (w->also && (!find(&res, w->also) || find(&res, w->also)->v != IH_FAIL))
		others++;
	tap_ok(hit && hit->v == IH_FAIL && others == 0, "%s: '%s' fails%s%s, nothing else", w->what,
	       w->check, w->also ? " and so does " : "", w->also ? w->also : "");
}

/* A decoder child as the kernel shows it in <root>/proc/<pid>; fields a case overrides. */
struct fake_child {
	const char *seccomp, *nnp, *cap_eff, *cap_bnd, *uid, *net_ns, *fsize, *as;
	int landlock_errno;
	uid_t status_owner; /* root when the child is not dumpable */
};

static void ch_seccomp(struct fake_child *c)
{
	c->seccomp = "0";
}

static void ch_nnp(struct fake_child *c)
{
	c->nnp = "0";
}

static void ch_cap_eff(struct fake_child *c)
{
	c->cap_eff = "0000000000200000";
}

static void ch_cap_bnd(struct fake_child *c)
{
	c->cap_bnd = "000001ffffffffff";
}

static void ch_uid(struct fake_child *c)
{
	c->uid = "65534\t65534\t0\t65534";
}

static void ch_net(struct fake_child *c)
{
	c->net_ns = "net:[4026531992]";
}

static void ch_landlock(struct fake_child *c)
{
	c->landlock_errno = 0;
}

static void ch_fsize(struct fake_child *c)
{
	c->fsize = "unlimited";
}

static void ch_as(struct fake_child *c)
{
	c->as = "unlimited";
}

static void ch_dumpable(struct fake_child *c)
{
	c->status_owner = 65534;
}

static const struct fake_child child_good = {
	"2",
	"1",
	"0000000000000000",
	"0000000000000000",
	"65534\t65534\t65534\t65534",
	"net:[4026532100]",
	"0",
	"1073741824",
	EACCES,
	0,
};

static void make_child(const struct fake_child *c)
{
	static const char *const ns[] = { "mnt", "ipc", "uts", "pid" };
	char status[1024], rel[64];

	snprintf(status, sizeof(status),
		 "Name:\tdecoder\nUid:\t%s\nGid:\t65534\t65534\t65534\t65534\n"
		 "CapPrm:\t0000000000000000\nCapEff:\t%s\nCapBnd:\t%s\nNoNewPrivs:\t%s\n"
		 "Seccomp:\t%s\nSeccomp_filters:\t1\n",
		 c->uid, c->cap_eff, c->cap_bnd, c->nnp, c->seccomp);
	put("proc/77/status", status, 0444);
	snprintf(status, sizeof(status), "%s/proc/77/status", root);
	if (chown(status, c->status_owner, c->status_owner) < 0)
		tap_diag("chown %s: %s", status, strerror(errno));
	snprintf(status, sizeof(status),
		 "Limit                     Soft Limit           Hard Limit           Units\n"
		 "Max cpu time              5                    5                    seconds\n"
		 "Max file size             %-20s %-20s bytes\n"
		 "Max core file size        0                    0                    bytes\n"
		 "Max processes             0                    0                    processes\n"
		 "Max locked memory         0                    0                    bytes\n"
		 "Max address space         %-20s %-20s bytes\n"
		 "Max msgqueue size         0                    0                    bytes\n",
		 c->fsize, c->fsize, c->as, c->as);
	put("proc/77/limits", status, 0444);
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		snprintf(rel, sizeof(rel), "proc/1/ns/%s", ns[i]);
		snprintf(status, sizeof(status), "%s:[4026531840]", ns[i]);
		link_to(rel, status);
		snprintf(rel, sizeof(rel), "proc/77/ns/%s", ns[i]);
		snprintf(status, sizeof(status), "%s:[4026532200]", ns[i]);
		link_to(rel, status);
	}
	link_to("proc/1/ns/net", "net:[4026531992]");
	link_to("proc/77/ns/net", c->net_ns);
}

static int inspect(const struct fake_child *c, struct results *res)
{
	struct ih_doctor d = { .root = root, .probes = &fake_probes };

	fresh_root();
	make_child(c);
	res->n = 0;
	return ih_doctor_inspect_child(&d, 77, 1, c->landlock_errno, collect, res);
}

static void test_child(void)
{
	static struct results res;
	struct fake_child c;
	int good_failed;
	struct {
		const char *what, *check;
		void (*change)(struct fake_child *c);
	} cases[] = {
		{ "child without seccomp", "decoder child: seccomp filter mode", ch_seccomp },
		{ "child without no_new_privs", "decoder child: no_new_privs", ch_nnp },
		{ "child with CAP_SYS_ADMIN", "decoder child: no capabilities", ch_cap_eff },
		{ "child with a full bounding set", "decoder child: no capabilities", ch_cap_bnd },
		{ "child with saved uid 0", "decoder child: unprivileged uid and gid", ch_uid },
		{ "child in the init's net namespace", "decoder child: own namespaces", ch_net },
		{ "child that may write files (FSIZE unlimited)", "decoder child: resource limits",
		  ch_fsize },
		{ "child with unbounded memory (AS unlimited)", "decoder child: resource limits",
		  ch_as },
		{ "child left dumpable", "decoder child: not dumpable", ch_dumpable },
		{ "child without Landlock (open succeeds)",
		  "decoder child: landlock denies file access", ch_landlock },
	};

	good_failed = inspect(&child_good, &res);

	tap_ok(good_failed == 0 && res.n == 8, "a fully sandboxed child passes all %d child checks",
	       res.n);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct result *hit;
		int failed;

		c = child_good;
		cases[i].change(&c);
		failed = inspect(&c, &res);
		hit = find(&res, cases[i].check);
		if (hit)
			tap_diag("%s -> %s", cases[i].what, hit->detail);
		tap_ok(failed == 1 && hit && hit->v == IH_FAIL, "%s: '%s' fails, nothing else",
		       cases[i].what, cases[i].check);
	}
}

int main(void)
{
	test_good_tree();
	test_umip_skips();
	test_randstruct_taint();
	test_static_init();
	for (size_t i = 0; i < sizeof(weakenings) / sizeof(weakenings[0]); i++)
		test_weakening(&weakenings[i]);
	test_child();
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
