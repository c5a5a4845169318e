/*
 * The doctor's root tree checks: disk, mounts, file modes, no shell, the dynamic loader and
 * its libraries, the init's environment, no NIC, no daemons.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "doctor.h"

#define SQUASHFS_MAGIC_LE "hsqs"

/* The loader the guest init names (PT_INTERP): the psABI path of Debian's glibc. */
#if defined(__x86_64__)
#define GUEST_LOADER "/lib64/ld-linux-x86-64.so.2"
#elif defined(__aarch64__)
#define GUEST_LOADER "/lib/ld-linux-aarch64.so.1"
#else
#error "no guest loader path known for this architecture"
#endif
#define ELF_PHNUM_MAX 64
#define ENVIRON_MAX 65536

static enum ih_verdict vda_squashfs(const struct ih_doctor *d, char *detail, size_t len)
{
	char magic[5];
	ssize_t n = ih_read_text(d, "/dev/vda", magic, sizeof(magic));

	if (n < 0)
		return ih_verdictf(IH_FAIL, detail, len, "cannot read /dev/vda (%s)",
				   ih_errname((int)-n));
	if (n < 4 || memcmp(magic, SQUASHFS_MAGIC_LE, 4))
		return ih_verdictf(IH_FAIL, detail, len, "/dev/vda has no squashfs superblock");
	return ih_verdictf(IH_PASS, detail, len, "/dev/vda starts with the squashfs magic");
}

static enum ih_verdict vda_readonly(const struct ih_doctor *d, char *detail, size_t len)
{
	char ro[8];
	ssize_t n = ih_read_text(d, "/sys/block/vda/ro", ro, sizeof(ro));

	if (n < 0)
		return ih_verdictf(IH_FAIL, detail, len, "cannot read /sys/block/vda/ro (%s)",
				   ih_errname((int)-n));
	if (strcmp(ro, "1\n") && strcmp(ro, "1"))
		return ih_verdictf(IH_FAIL, detail, len, "/dev/vda is writable at the block layer");
	return ih_verdictf(IH_PASS, detail, len, "/sys/block/vda/ro = 1");
}

static int mount_find_root(void *arg, const struct ih_mount *m)
{
	if (!strcmp(m->dir, "/"))
		*(struct ih_mount *)arg = *m;
	return 0;
}

/* The topmost mount on / is an overlay with a lower and an upper layer. */
static enum ih_verdict root_overlay(const struct ih_doctor *d, char *detail, size_t len)
{
	struct ih_mount root = { .type = "" };
	int r = ih_mounts_each(d, mount_find_root, &root);

	if (r < 0)
		return ih_verdictf(IH_FAIL, detail, len, "cannot read the mount table (%s)",
				   ih_errname(-r));
	if (strcmp(root.type, "overlay"))
		return ih_verdictf(IH_FAIL, detail, len, "root is '%s', not overlay", root.type);
	if (!ih_opt_has(root.opts, "lowerdir") || !ih_opt_has(root.opts, "upperdir"))
		return ih_verdictf(IH_FAIL, detail, len, "overlay root without lowerdir/upperdir");
	return ih_verdictf(IH_PASS, detail, len, "overlay root with lowerdir and upperdir");
}

/* Read-write mounts that hold no storage of their own, or only RAM. */
static const char *const rw_types_allowed[] = {
	"tmpfs", "devtmpfs", "proc", "sysfs", "securityfs", "devpts", "cgroup2", "mqueue",
};

static int mount_writable_bad(void *arg, const struct ih_mount *m)
{
	if (ih_opt_has(m->opts, "ro"))
		return 0;
	if (!strcmp(m->type, "overlay") && !strcmp(m->dir, "/"))
		return 0;
	for (size_t i = 0; i < sizeof(rw_types_allowed) / sizeof(rw_types_allowed[0]); i++)
		if (!strcmp(m->type, rw_types_allowed[i]))
			return 0;
	*(struct ih_mount *)arg = *m;
	return 1;
}

static enum ih_verdict writable_mounts(const struct ih_doctor *d, char *detail, size_t len)
{
	struct ih_mount bad;
	int r = ih_mounts_each(d, mount_writable_bad, &bad);

	if (r < 0)
		return ih_verdictf(IH_FAIL, detail, len, "cannot read the mount table (%s)",
				   ih_errname(-r));
	if (r)
		return ih_verdictf(IH_FAIL, detail, len, "%s (%s) is mounted read-write", bad.dir,
				   bad.type);
	return ih_verdictf(IH_PASS, detail, len, "read-write only: overlay root, tmpfs, pseudo fs");
}

/* What a tree walk found: how many offenders, and the first one's path. */
struct finding {
	unsigned long count;
	char first[PATH_MAX];
};

static void finding_add(struct finding *f, const char *path)
{
	if (f->count++ == 0)
		snprintf(f->first, sizeof(f->first), "%s", path);
}

static int find_setuid(void *arg, const char *path, const struct stat *st)
{
	if (!S_ISDIR(st->st_mode) && (st->st_mode & S_ISUID))
		finding_add(arg, path);
	return 0;
}

static int find_setgid(void *arg, const char *path, const struct stat *st)
{
	if (!S_ISDIR(st->st_mode) && (st->st_mode & S_ISGID))
		finding_add(arg, path);
	return 0;
}

/* Every executable file is root's and mode 0555: nobody may write it. */
static int find_writable_binary(void *arg, const char *path, const struct stat *st)
{
	if (S_ISREG(st->st_mode) && (st->st_mode & 0111) &&
	    ((st->st_mode & 07777) != 0555 || st->st_uid != 0 || st->st_gid != 0))
		finding_add(arg, path);
	return 0;
}

static const char *const shells[] = {
	"sh",	"ash", "bash", "dash", "zsh",	  "ksh",
	"mksh", "csh", "tcsh", "fish", "busybox", "toybox",
};

static int find_shell(void *arg, const char *path, const struct stat *st)
{
	const char *base = strrchr(path, '/') + 1;

	(void)st;
	for (size_t i = 0; i < sizeof(shells) / sizeof(shells[0]); i++)
		if (!strcmp(base, shells[i]))
			finding_add(arg, path);
	return 0;
}

static enum ih_verdict walk_verdict(const struct ih_doctor *d,
				    int (*fn)(void *arg, const char *path, const struct stat *st),
				    const char *what, char *detail, size_t len)
{
	struct finding f = { .count = 0 };
	int r;

	r = ih_walk(d, fn, &f);
	if (r < 0)
		return ih_verdictf(IH_FAIL, detail, len, "walking the root failed (%s)",
				   ih_errname(-r));
	if (f.count)
		return ih_verdictf(IH_FAIL, detail, len, "%lu %s, first %s", f.count, what,
				   f.first);
	return ih_verdictf(IH_PASS, detail, len, "no %s", what);
}

static enum ih_verdict no_setuid(const struct ih_doctor *d, char *detail, size_t len)
{
	return walk_verdict(d, find_setuid, "setuid files", detail, len);
}

static enum ih_verdict no_setgid(const struct ih_doctor *d, char *detail, size_t len)
{
	return walk_verdict(d, find_setgid, "setgid files", detail, len);
}

static enum ih_verdict binaries_readonly(const struct ih_doctor *d, char *detail, size_t len)
{
	return walk_verdict(d, find_writable_binary, "executables not root-owned 0555", detail,
			    len);
}

static enum ih_verdict no_shell(const struct ih_doctor *d, char *detail, size_t len)
{
	return walk_verdict(d, find_shell, "shells", detail, len);
}

/* Under a library directory (/lib, /lib64, /usr/lib, ...), or that directory itself. */
static int library_path(const char *path)
{
	return !strncmp(path, "/lib", 4) || !strncmp(path, "/usr/lib", 8);
}

/*
 * What the loader maps: root's, nobody may write it, no setuid or setgid, a plain file
 * (a symlink could point into the writable overlay). Directories: root's, not writable by
 * group or others.
 */
static int find_weak_library(void *arg, const char *path, const struct stat *st)
{
	if (!library_path(path))
		return 0;
	if (st->st_uid != 0 || st->st_gid != 0 || (st->st_mode & (S_ISUID | S_ISGID)))
		finding_add(arg, path);
	else if (S_ISDIR(st->st_mode) ? (st->st_mode & 0022) : (st->st_mode & 0222))
		finding_add(arg, path);
	else if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode))
		finding_add(arg, path);
	return 0;
}

static enum ih_verdict libraries_readonly(const struct ih_doctor *d, char *detail, size_t len)
{
	return walk_verdict(d, find_weak_library,
			    "library files writable, not root's, setuid or not plain files", detail,
			    len);
}

/* Reads the PT_INTERP of the ELF64 file open on fd into buf: 1, 0 when it has none, -errno. */
static int elf_interp(int fd, char *buf, size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(ph) || eh.e_phnum > ELF_PHNUM_MAX)
		return -ENOEXEC;
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			return -ENOEXEC;
		if (ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz < 2 || ph.p_filesz > len ||
		    pread(fd, buf, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz ||
		    buf[ph.p_filesz - 1] != '\0' || strlen(buf) != ph.p_filesz - 1)
			return -ENOEXEC;
		return 1;
	}
	return 0;
}

/* /sbin/init names the system loader, and that loader is root's plain 0555 file. */
static enum ih_verdict init_loader(const struct ih_doctor *d, char *detail, size_t len)
{
	_cleanup_close_ int fd = -1;
	char p[PATH_MAX], interp[PATH_MAX];
	struct stat st;
	int r;

	if (ih_path(d, "/sbin/init", p, sizeof(p)) < 0)
		return ih_verdictf(IH_FAIL, detail, len, "path too long");
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return ih_verdictf(IH_FAIL, detail, len, "cannot open /sbin/init (%s)",
				   ih_errname(errno));
	r = elf_interp(fd, interp, sizeof(interp));
	if (r < 0)
		return ih_verdictf(IH_FAIL, detail, len, "/sbin/init is no well-formed ELF64 file");
	if (r == 0)
		return ih_verdictf(IH_PASS, detail, len, "/sbin/init is static: no loader at all");
	if (strcmp(interp, GUEST_LOADER))
		return ih_verdictf(IH_FAIL, detail, len, "/sbin/init names %.128s, not %s", interp,
				   GUEST_LOADER);
	if (ih_path(d, GUEST_LOADER, p, sizeof(p)) < 0 || lstat(p, &st) < 0)
		return ih_verdictf(IH_FAIL, detail, len, "cannot stat %s", GUEST_LOADER);
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || st.st_gid != 0 ||
	    (st.st_mode & 07777) != 0555)
		return ih_verdictf(IH_FAIL, detail, len,
				   "%s is not root's plain file of mode 0555 (mode 0%o, uid %u)",
				   GUEST_LOADER, (unsigned int)(st.st_mode & 07777),
				   (unsigned int)st.st_uid);
	return ih_verdictf(IH_PASS, detail, len, "%s, root's, mode 0555", GUEST_LOADER);
}

/* PID 1's environment holds nothing the loader reads: no LD_* variable, no GLIBC_TUNABLES. */
static enum ih_verdict init_environ_clean(const struct ih_doctor *d, char *detail, size_t len)
{
	_cleanup_free_ char *env = malloc(ENVIRON_MAX);
	ssize_t n;

	if (!env)
		return ih_verdictf(IH_FAIL, detail, len, "out of memory");
	n = ih_read_text(d, "/proc/1/environ", env, ENVIRON_MAX);
	if (n < 0)
		return ih_verdictf(IH_FAIL, detail, len, "cannot read /proc/1/environ (%s)",
				   ih_errname((int)-n));
	if (n >= ENVIRON_MAX - 1)
		return ih_verdictf(IH_FAIL, detail, len, "/proc/1/environ is too large to check");
	for (const char *e = env; e < env + n; e += strlen(e) + 1)
		if (!strncmp(e, "LD_", 3) || !strncmp(e, "GLIBC_TUNABLES=", 15))
			return ih_verdictf(IH_FAIL, detail, len, "init's environment has %.64s", e);
	return ih_verdictf(IH_PASS, detail, len, "%zd bytes, no LD_* or GLIBC_TUNABLES", n);
}

/* The guest has no NIC at all: /sys/class/net holds only the loopback. */
static enum ih_verdict only_loopback(const struct ih_doctor *d, char *detail, size_t len)
{
	_cleanup_closedir_ DIR *dir = NULL;
	char p[PATH_MAX];
	struct dirent *e;

	if (ih_path(d, "/sys/class/net", p, sizeof(p)) < 0)
		return ih_verdictf(IH_FAIL, detail, len, "path too long");
	dir = opendir(p);
	if (!dir && errno == ENOENT)
		return ih_verdictf(IH_PASS, detail, len, "no network interfaces at all");
	if (!dir)
		return ih_verdictf(IH_FAIL, detail, len, "cannot list /sys/class/net (%s)",
				   ih_errname(errno));
	while ((e = readdir(dir)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "lo"))
			return ih_verdictf(IH_FAIL, detail, len, "network interface %s", e->d_name);
	return ih_verdictf(IH_PASS, detail, len, "only lo");
}

/* Services that have no place in a single-purpose guest; a trailing '*' is a prefix. */
static const char *const daemons[] = {
	"sshd",	   "dropbear", "telnetd", "inetd",  "cron",	"crond",
	"anacron", "atd",      "getty",	  "agetty", "systemd*",
};

static int daemon_match(const char *comm)
{
	for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		size_t n = strlen(daemons[i]);

		if (daemons[i][n - 1] == '*' ? !strncmp(comm, daemons[i], n - 1)
					     : !strcmp(comm, daemons[i]))
			return 1;
	}
	return 0;
}

static enum ih_verdict no_daemons(const struct ih_doctor *d, char *detail, size_t len)
{
	_cleanup_closedir_ DIR *dir = NULL;
	char p[PATH_MAX], comm[64];
	struct dirent *e;

	if (ih_path(d, "/proc", p, sizeof(p)) < 0 || !(dir = opendir(p)))
		return ih_verdictf(IH_FAIL, detail, len, "cannot list /proc");
	while ((e = readdir(dir))) {
		if (strspn(e->d_name, "0123456789") != strlen(e->d_name))
			continue;
		snprintf(p, sizeof(p), "/proc/%s/comm", e->d_name);
		if (ih_read_text(d, p, comm, sizeof(comm)) < 0)
			continue;
		comm[strcspn(comm, "\n")] = '\0';
		if (daemon_match(comm))
			return ih_verdictf(IH_FAIL, detail, len, "pid %s is %s", e->d_name, comm);
	}
	return ih_verdictf(IH_PASS, detail, len, "no sshd, cron, getty or systemd");
}

/* The PPid of pid from <root>/proc/<pid>/status: >= 0, or -errno. */
static long parent_of(const struct ih_doctor *d, long pid)
{
	char rel[48], status[4096];
	const char *p;
	char *end;
	long ppid;

	snprintf(rel, sizeof(rel), "/proc/%ld/status", pid);
	if (ih_read_text(d, rel, status, sizeof(status)) < 0)
		return -ENOENT;
	p = strstr(status, "\nPPid:");
	if (!p)
		return -EINVAL;
	errno = 0;
	ppid = strtol(p + 6, &end, 10);
	return errno || end == p + 6 || ppid < 0 ? -EINVAL : ppid;
}

/* 1 when pid is init, a kernel thread, the doctor or one of its descendants. */
static int process_expected(const struct ih_doctor *d, long pid, long self)
{
	for (int depth = 0; depth < 64; depth++) {
		long ppid = parent_of(d, pid);

		if (pid == self || (depth == 0 && (pid == 1 || pid == 2)) ||
		    (depth == 0 && ppid == 2))
			return 1;
		if (ppid == -ENOENT && depth == 0)
			return 1; /* gone since readdir */
		if (ppid <= 0)
			return 0;
		pid = ppid;
	}
	return 0;
}

/* Userspace holds PID 1 and the doctor (and its children) only: no stray process. */
static enum ih_verdict only_expected_processes(const struct ih_doctor *d, char *detail, size_t len)
{
	_cleanup_closedir_ DIR *dir = NULL;
	long self = d->self ? d->self : getpid();
	char p[PATH_MAX];
	struct dirent *e;
	int n = 0;

	if (ih_path(d, "/proc", p, sizeof(p)) < 0 || !(dir = opendir(p)))
		return ih_verdictf(IH_FAIL, detail, len, "cannot list /proc");
	while ((e = readdir(dir))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || end == e->d_name)
			continue;
		n++;
		if (!process_expected(d, pid, self))
			return ih_verdictf(
				IH_FAIL, detail, len,
				"pid %ld is neither init, a kernel thread nor the doctor", pid);
	}
	return ih_verdictf(IH_PASS, detail, len, "%d processes: init, kernel threads, the doctor",
			   n);
}

const struct ih_check ih_checks_fs[] = {
	{ "/dev/vda is squashfs", "the root image is immutable by construction", vda_squashfs },
	{ "/dev/vda read-only", "the disk itself refuses writes, whatever mounts it",
	  vda_readonly },
	{ "root is overlay (lowerdir, upperdir)", "writes land in RAM and die with the VM",
	  root_overlay },
	{ "no writable mount but tmpfs and the overlay", "nothing the guest writes persists",
	  writable_mounts },
	{ "no setuid files", "no way back to privilege for a dropped process", no_setuid },
	{ "no setgid files", "no way back to a privileged group", no_setgid },
	{ "guest binaries 0555, root-owned", "no process can replace a program",
	  binaries_readonly },
	{ "no shell in the root", "an escaped decoder finds nothing to run", no_shell },
	{ "shared libraries root-owned, read-only",
	  "nobody can change the code the loader maps into the init", libraries_readonly },
	{ "/sbin/init's interpreter is the system loader",
	  "the program that maps every library is the read-only one of the root", init_loader },
	{ "no LD_* or GLIBC_TUNABLES in init's environment",
	  "nothing steers the loader of PID 1 to other code or settings", init_environ_clean },
	{ "only lo in /sys/class/net", "the guest has no NIC: no network to reach", only_loopback },
	{ "no sshd, cron or systemd", "no service beyond the decoder", no_daemons },
	{ "only init and the doctor run", "any other process is a leak or an intruder",
	  only_expected_processes },
};
const size_t ih_checks_fs_count = sizeof(ih_checks_fs) / sizeof(ih_checks_fs[0]);
