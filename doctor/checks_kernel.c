/* The doctor's kernel checks: what the running kernel exposes, and what it refuses. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "cleanup.h"
#include "doctor.h"

/* What SIDT returns to a 64-bit process when UMIP is on (arch/x86/kernel/umip.c). */
#define UMIP_DUMMY_IDT_BASE 0xffffffffffff0000ULL

static int live_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? -errno : (int)abi;
}

/* Both module syscalls must be missing: a kernel built without CONFIG_MODULES. */
static int live_module_load_errno(void)
{
	int e;

	if (syscall(SYS_finit_module, -1, "", 0) == 0)
		return 0;
	e = errno;
	if (e != ENOSYS)
		return e;
	if (syscall(SYS_init_module, NULL, 0, "") == 0)
		return 0;
	return errno;
}

static int live_seccomp_filter(void)
{
	unsigned int action = SECCOMP_RET_KILL_PROCESS;

	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0)
		return -errno;
	return 0;
}

/* Without PROC_MEM_ALWAYS_FORCE the kernel refuses the write with EIO. */
static int live_proc_mem_force(void)
{
	long page = sysconf(_SC_PAGESIZE);
	_cleanup_close_ int fd = -1;
	void *p;
	ssize_t n;
	int r;

	if (page <= 0)
		return -EINVAL;
	p = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
	} else {
		n = pwrite(fd, "x", 1, (off_t)(uintptr_t)p);
		r = n == 1 ? 1 : n < 0 && errno == EIO ? 0 : n < 0 ? -errno : -EIO;
	}
	munmap(p, (size_t)page);
	return r;
}

#if defined(__x86_64__)
static int live_umip(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idt = { 0, 0 };
	unsigned int a, b, c, d;

	/* CPUID.(EAX=7,ECX=0):ECX bit 2 is UMIP. */
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(c & (1u << 2)))
		return -ENODEV;
	__asm__ volatile("sidt %0" : "=m"(idt));
	return idt.base == UMIP_DUMMY_IDT_BASE;
}
#else
static int live_umip(void)
{
	return -EOPNOTSUPP;
}
#endif

const struct ih_doctor_probes ih_probes_live = {
	.landlock_abi = live_landlock_abi,
	.module_load_errno = live_module_load_errno,
	.seccomp_filter = live_seccomp_filter,
	.proc_mem_force = live_proc_mem_force,
	.umip = live_umip,
};

static enum ih_verdict no_module_loading(const struct ih_doctor *d, char *detail, size_t len)
{
	int e = d->probes->module_load_errno();

	if (e == ENOSYS)
		return ih_verdictf(IH_PASS, detail, len, "init_module/finit_module: ENOSYS");
	return ih_verdictf(IH_FAIL, detail, len, "module syscalls exist (%s)", ih_errname(e));
}

/* Passes when <root>path does not exist at all. */
static enum ih_verdict absent(const struct ih_doctor *d, const char *path, char *detail, size_t len)
{
	if (ih_exists(d, path))
		return ih_verdictf(IH_FAIL, detail, len, "%s exists", path);
	return ih_verdictf(IH_PASS, detail, len, "%s absent", path);
}

/* Passes when <root>path is absent, unreadable or empty. */
static enum ih_verdict absent_or_empty(const struct ih_doctor *d, const char *path, char *detail,
				       size_t len)
{
	char buf[64];
	ssize_t n = ih_read_text(d, path, buf, sizeof(buf));

	if (n == -ENOENT)
		return ih_verdictf(IH_PASS, detail, len, "%s absent", path);
	if (n < 0)
		return ih_verdictf(IH_PASS, detail, len, "%s unreadable (%s)", path,
				   ih_errname((int)-n));
	if (n == 0)
		return ih_verdictf(IH_PASS, detail, len, "%s empty", path);
	return ih_verdictf(IH_FAIL, detail, len, "%s readable and not empty", path);
}

static enum ih_verdict no_dev_mem(const struct ih_doctor *d, char *detail, size_t len)
{
	return absent(d, "/dev/mem", detail, len);
}

static enum ih_verdict no_dev_port(const struct ih_doctor *d, char *detail, size_t len)
{
	return absent(d, "/dev/port", detail, len);
}

static enum ih_verdict no_dev_kmem(const struct ih_doctor *d, char *detail, size_t len)
{
	return absent(d, "/dev/kmem", detail, len);
}

static enum ih_verdict no_proc_kcore(const struct ih_doctor *d, char *detail, size_t len)
{
	return absent(d, "/proc/kcore", detail, len);
}

static enum ih_verdict proc_modules_empty(const struct ih_doctor *d, char *detail, size_t len)
{
	return absent_or_empty(d, "/proc/modules", detail, len);
}

static enum ih_verdict no_kallsyms(const struct ih_doctor *d, char *detail, size_t len)
{
	return absent_or_empty(d, "/proc/kallsyms", detail, len);
}

static enum ih_verdict no_ipv6(const struct ih_doctor *d, char *detail, size_t len)
{
	return absent(d, "/proc/net/if_inet6", detail, len);
}

static enum ih_verdict no_config_gz(const struct ih_doctor *d, char *detail, size_t len)
{
	return absent(d, "/proc/config.gz", detail, len);
}

static int mount_is_debugfs(void *arg, const struct ih_mount *m)
{
	(void)arg;
	return !strcmp(m->type, "debugfs");
}

/* debugfs is neither built in (/proc/filesystems) nor mounted. */
static enum ih_verdict no_debugfs(const struct ih_doctor *d, char *detail, size_t len)
{
	char fs[4096];
	ssize_t n = ih_read_text(d, "/proc/filesystems", fs, sizeof(fs));
	int r;

	if (n < 0)
		return ih_verdictf(IH_FAIL, detail, len, "cannot read /proc/filesystems (%s)",
				   ih_errname((int)-n));
	if (strstr(fs, "\tdebugfs\n"))
		return ih_verdictf(IH_FAIL, detail, len, "debugfs is in /proc/filesystems");
	r = ih_mounts_each(d, mount_is_debugfs, NULL);
	if (r < 0)
		return ih_verdictf(IH_FAIL, detail, len, "cannot read the mount table (%s)",
				   ih_errname(-r));
	if (r)
		return ih_verdictf(IH_FAIL, detail, len, "debugfs is mounted");
	return ih_verdictf(IH_PASS, detail, len, "debugfs not built, not mounted");
}

/* Seccomp is built (a Seccomp: line in /proc/self/status) and its filter mode usable. */
static enum ih_verdict seccomp_available(const struct ih_doctor *d, char *detail, size_t len)
{
	char status[8192];
	ssize_t n = ih_read_text(d, "/proc/self/status", status, sizeof(status));
	int r;

	if (n < 0)
		return ih_verdictf(IH_FAIL, detail, len, "cannot read /proc/self/status (%s)",
				   ih_errname((int)-n));
	if (!strstr(status, "\nSeccomp:\t"))
		return ih_verdictf(IH_FAIL, detail, len, "no Seccomp: line in /proc/self/status");
	r = d->probes->seccomp_filter();
	if (r < 0)
		return ih_verdictf(IH_FAIL, detail, len, "seccomp filter mode unavailable (%s)",
				   ih_errname(-r));
	return ih_verdictf(IH_PASS, detail, len, "Seccomp: in status, filter mode available");
}

static enum ih_verdict landlock_abi(const struct ih_doctor *d, char *detail, size_t len)
{
	int abi = d->probes->landlock_abi();

	if (abi == -ENOSYS)
		return ih_verdictf(IH_FAIL, detail, len, "Landlock not built (ENOSYS)");
	if (abi == -EOPNOTSUPP)
		return ih_verdictf(IH_FAIL, detail, len,
				   "Landlock built but not in lsm= (EOPNOTSUPP)");
	if (abi < 0)
		return ih_verdictf(IH_FAIL, detail, len, "Landlock probe failed (%s)",
				   ih_errname(-abi));
	if (abi < d->landlock_abi_min)
		return ih_verdictf(IH_FAIL, detail, len, "Landlock ABI %d < %d", abi,
				   d->landlock_abi_min);
	return ih_verdictf(IH_PASS, detail, len, "Landlock ABI %d (>= %d)", abi,
			   d->landlock_abi_min);
}

/*
 * Lockdown, where the kernel has it, is in confidentiality mode. Without the lockdown file
 * the check skips, unless the active LSM list or kernel/cmdline says lockdown is expected.
 */
static enum ih_verdict lockdown(const struct ih_doctor *d, char *detail, size_t len)
{
	char buf[128];
	ssize_t n = ih_read_text(d, "/sys/kernel/security/lockdown", buf, sizeof(buf));

	if (n >= 0) {
		buf[strcspn(buf, "\n")] = '\0';
		if (strstr(buf, "[confidentiality]"))
			return ih_verdictf(IH_PASS, detail, len, "lockdown: %s", buf);
		return ih_verdictf(IH_FAIL, detail, len, "lockdown: %s", buf);
	}
	if (ih_read_text(d, "/sys/kernel/security/lsm", buf, sizeof(buf)) >= 0 &&
	    strstr(buf, "lockdown"))
		return ih_verdictf(IH_FAIL, detail, len,
				   "lockdown LSM active but its file is missing");
	if (d->cmdline_expected && strstr(d->cmdline_expected, "lockdown="))
		return ih_verdictf(IH_FAIL, detail, len,
				   "kernel/cmdline asks for lockdown, the kernel has none");
	return ih_verdictf(IH_SKIP, detail, len, "kernel without the lockdown LSM");
}

/* Reads <root>path as one non-negative decimal number; 0 or -errno (-EINVAL: not one). */
static int read_number(const struct ih_doctor *d, const char *path, unsigned long *ret)
{
	char buf[32], *end;
	ssize_t n = ih_read_text(d, path, buf, sizeof(buf));
	unsigned long v;

	if (n < 0)
		return (int)n;
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || end == buf || buf[0] == '-' || (*end && *end != '\n'))
		return -EINVAL;
	*ret = v;
	return 0;
}

/*
 * kernel.tainted is 0, but for bit 17 ('T'): every kernel built with structure layout
 * randomisation (RANDSTRUCT) starts with it set (kernel/panic.c); it records how the kernel
 * was built, not anything that happened since.
 */
#define TAINT_RANDSTRUCT_BIT (1ul << 17)

static enum ih_verdict not_tainted(const struct ih_doctor *d, char *detail, size_t len)
{
	unsigned long mask;
	int r = read_number(d, "/proc/sys/kernel/tainted", &mask);

	if (r < 0)
		return ih_verdictf(IH_FAIL, detail, len, "cannot read kernel.tainted (%s)",
				   ih_errname(-r));
	if (mask & ~TAINT_RANDSTRUCT_BIT)
		return ih_verdictf(IH_FAIL, detail, len, "kernel.tainted = %lu", mask);
	return ih_verdictf(IH_PASS, detail, len, "kernel.tainted = %lu%s", mask,
			   mask ? " (only the RANDSTRUCT build flag)" : "");
}

/* mmap, stack and vDSO randomisation uses the bits the defconfig asks (the arch maximum). */
static enum ih_verdict mmap_rnd_bits(const struct ih_doctor *d, char *detail, size_t len)
{
	unsigned long bits;
	int r;

	if (d->mmap_rnd_bits <= 0)
		return ih_verdictf(IH_SKIP, detail, len, "no expected value in the kernel config");
	r = read_number(d, "/proc/sys/vm/mmap_rnd_bits", &bits);
	if (r < 0)
		return ih_verdictf(IH_FAIL, detail, len, "cannot read vm.mmap_rnd_bits (%s)",
				   ih_errname(-r));
	if (bits < (unsigned long)d->mmap_rnd_bits)
		return ih_verdictf(IH_FAIL, detail, len, "vm.mmap_rnd_bits = %lu < %d", bits,
				   d->mmap_rnd_bits);
	return ih_verdictf(IH_PASS, detail, len, "vm.mmap_rnd_bits = %lu (>= %d)", bits,
			   d->mmap_rnd_bits);
}

/* KFENCE is built and running: its sample interval reads 0 when it is off or failed. */
static enum ih_verdict kfence_active(const struct ih_doctor *d, char *detail, size_t len)
{
	static const char path[] = "/sys/module/kfence/parameters/sample_interval";
	unsigned long ms;
	int r;

	if (!d->kfence_interval_ms)
		return ih_verdictf(IH_SKIP, detail, len, "the kernel config has no KFENCE");
	r = read_number(d, path, &ms);
	if (r == -ENOENT)
		return ih_verdictf(IH_FAIL, detail, len, "KFENCE not built (%s absent)", path);
	if (r < 0)
		return ih_verdictf(IH_FAIL, detail, len, "cannot read %s (%s)", path,
				   ih_errname(-r));
	if (ms == 0)
		return ih_verdictf(IH_FAIL, detail, len, "KFENCE built but disabled (interval 0)");
	if (ms != (unsigned long)d->kfence_interval_ms)
		return ih_verdictf(IH_FAIL, detail, len, "KFENCE samples every %lu ms, not %d", ms,
				   d->kfence_interval_ms);
	return ih_verdictf(IH_PASS, detail, len, "KFENCE active, one sample every %lu ms", ms);
}

static enum ih_verdict proc_mem_no_force(const struct ih_doctor *d, char *detail, size_t len)
{
	int r = d->probes->proc_mem_force();

	if (r == 0)
		return ih_verdictf(IH_PASS, detail, len,
				   "write to a read-only page through /proc/self/mem: EIO");
	if (r == 1)
		return ih_verdictf(IH_FAIL, detail, len,
				   "/proc/self/mem wrote through a read-only mapping");
	return ih_verdictf(IH_FAIL, detail, len, "/proc/self/mem probe failed (%s)",
			   ih_errname(-r));
}

static enum ih_verdict umip(const struct ih_doctor *d, char *detail, size_t len)
{
	int r = d->probes->umip();

	if (r == -EOPNOTSUPP)
		return ih_verdictf(IH_SKIP, detail, len, "not an x86 CPU");
	if (r == -ENODEV)
		return ih_verdictf(IH_SKIP, detail, len, "this CPU has no UMIP");
	if (r == 1)
		return ih_verdictf(IH_PASS, detail, len,
				   "SIDT from user space gets the UMIP dummy");
	if (r == 0)
		return ih_verdictf(IH_FAIL, detail, len,
				   "the CPU has UMIP but SIDT shows the real IDT address");
	return ih_verdictf(IH_FAIL, detail, len, "UMIP probe failed (%s)", ih_errname(-r));
}

const struct ih_check ih_checks_kernel[] = {
	{ "no kernel module loading", "a loaded .ko can rewrite any kernel function",
	  no_module_loading },
	{ "no /dev/mem", "direct physical memory read/write from user space", no_dev_mem },
	{ "no /dev/kmem", "direct kernel memory read/write from user space", no_dev_kmem },
	{ "no /dev/port", "raw I/O port access from user space", no_dev_port },
	{ "no /proc/kcore", "a readable image of kernel memory", no_proc_kcore },
	{ "/proc/modules empty or absent", "no module list, no module addresses",
	  proc_modules_empty },
	{ "no debugfs", "debugfs exposes kernel internals", no_debugfs },
	{ "no IPv6", "a second IP stack is surface the air-gapped guest never uses", no_ipv6 },
	{ "no kallsyms", "kernel symbol addresses defeat KASLR", no_kallsyms },
	{ "no /proc/config.gz", "the exact kernel config is a map for an attacker", no_config_gz },
	{ "kernel not tainted", "a tainted kernel ran unexpected code or hit a bug", not_tainted },
	{ "seccomp available", "the decoder child's syscall filter needs it", seccomp_available },
	{ "landlock ABI", "the decoder child's file and network rules need it", landlock_abi },
	{ "lockdown confidentiality", "even root cannot read kernel memory or alter the kernel",
	  lockdown },
	{ "mmap randomisation bits", "library, heap and stack addresses are hard to guess",
	  mmap_rnd_bits },
	{ "KFENCE active", "sampled heap overflows and use-after-frees are caught", kfence_active },
	{ "/proc/self/mem honours page protections",
	  "no writing through read-only mappings, even as root", proc_mem_no_force },
	{ "UMIP where the CPU has it", "user space cannot read where the kernel's tables are",
	  umip },
};
const size_t ih_checks_kernel_count = sizeof(ih_checks_kernel) / sizeof(ih_checks_kernel[0]);
