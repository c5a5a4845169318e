/*
 * The VMM jail's Landlock layer: QEMU may execute its binary, read its libraries, firmware and
 * the guest image files, use /dev/null, /dev/urandom (and /dev/kvm), and nothing else: no
 * writes, no TCP bind or connect, no signals or abstract sockets outside its own domain.
 *
 * Debian 12's <linux/landlock.h> stops at ABI 2, so the later ABI is spelled out here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "jail.h"
#include "jail_int.h"

#define LL_VERSION (1U << 0)
#define LL_RULE_PATH 1

#define LL_EXECUTE (1ULL << 0)
#define LL_WRITE_FILE (1ULL << 1)
#define LL_READ_FILE (1ULL << 2)
#define LL_READ_DIR (1ULL << 3)
#define LL_REFER (1ULL << 13) /* ABI 2 */
#define LL_TRUNCATE (1ULL << 14) /* ABI 3 */
#define LL_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define LL_FS_ALL ((1ULL << 16) - 1)
#define LL_FILE_RIGHTS (LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | LL_TRUNCATE | LL_IOCTL_DEV)

#define LL_NET_BIND_TCP (1ULL << 0) /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

enum {
	IH_JAIL_RO_EXEC = LL_EXECUTE | LL_READ_FILE | LL_READ_DIR,
	IH_JAIL_RO = LL_READ_FILE | LL_READ_DIR,
	IH_JAIL_DEV_RW = LL_READ_FILE | LL_WRITE_FILE | LL_IOCTL_DEV,
	IH_JAIL_DEV_R = LL_READ_FILE,
};

struct ll_path {
	const char *path;
	uint64_t rights;
};

static const struct ll_path qemu_paths[] = {
#define IH_JAIL_PATH(path, rights, why) { path, rights },
#include "jail_ro_paths.def"
#undef IH_JAIL_PATH
};

int ih_jail_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_VERSION);

	return abi < 0 ? -errno : (int)abi;
}

/* Every right this ABI knows is handled, so each is denied unless a rule grants it. */
static void handled_for(int abi, struct ll_ruleset_attr *attr, size_t *size)
{
	attr->handled_access_fs = LL_FS_ALL;
	attr->handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	attr->scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
	*size = sizeof(*attr);
	switch (abi) {
	case 1:
		attr->handled_access_fs &= ~LL_REFER;
		__attribute__((fallthrough));
	case 2:
		attr->handled_access_fs &= ~LL_TRUNCATE;
		__attribute__((fallthrough));
	case 3:
		attr->handled_access_net = 0;
		*size = offsetof(struct ll_ruleset_attr, handled_access_net);
		__attribute__((fallthrough));
	case 4:
		attr->handled_access_fs &= ~LL_IOCTL_DEV;
		__attribute__((fallthrough));
	case 5:
		attr->scoped = 0;
		if (*size > offsetof(struct ll_ruleset_attr, scoped))
			*size = offsetof(struct ll_ruleset_attr, scoped);
		break;
	default:
		break;
	}
}

/* Grants rights (those the ruleset handles, those a non-directory can carry) under path. */
static int allow_path(int ruleset, const char *path, uint64_t rights, uint64_t handled)
{
	struct ll_path_beneath rule = { 0 };
	cleanup_fd int fd = open(path, O_PATH | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		rights &= LL_FILE_RIGHTS;
	rule.allowed_access = rights & handled;
	rule.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH, &rule, 0) < 0)
		return -errno;
	return 0;
}

static int add_rules(int ruleset, const struct ih_jail_cfg *cfg, const char *exe, uint64_t fs)
{
	int r;

	for (size_t i = 0; i < sizeof(qemu_paths) / sizeof(qemu_paths[0]); i++) {
		r = allow_path(ruleset, qemu_paths[i].path, qemu_paths[i].rights, fs);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	r = allow_path(ruleset, exe, LL_EXECUTE | LL_READ_FILE, fs);
	if (r < 0)
		return r;
	if (cfg->use_kvm) {
		r = allow_path(ruleset, "/dev/kvm", IH_JAIL_DEV_RW, fs);
		if (r < 0)
			return r;
	}
	for (const char *const *p = cfg->ro_paths; p && *p; p++) {
		r = allow_path(ruleset, *p, IH_JAIL_RO, fs);
		if (r < 0)
			return r;
	}
	return 0;
}

int ih_jail_landlock_apply(const struct ih_jail_cfg *cfg, const char *exe, int *ret_abi)
{
	struct ll_ruleset_attr attr;
	cleanup_fd int ruleset = -1;
	int abi = ih_jail_landlock_abi();
	size_t size;
	int r;

	if (abi < 0)
		return abi;
	handled_for(abi, &attr, &size);
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (ruleset < 0)
		return -errno;
	r = add_rules(ruleset, cfg, exe, attr.handled_access_fs);
	if (r < 0)
		return r;
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		return -errno;
	*ret_abi = abi;
	return 0;
}
