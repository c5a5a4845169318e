/*
 * Landlock (guest/sandbox/landlock.h): the ABI probe, the rights of each ABI with the
 * fall-through switch of the kernel documentation, and the empty ruleset.
 *
 * The C library's <linux/landlock.h> may predate the rights used here, so the UAPI
 * values are spelled out below (include/uapi/linux/landlock.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "landlock.h"

#define LL_CREATE_RULESET_VERSION (1u << 0)

/* Filesystem rights, bits 0..15: ABI 1 has 0..12, v2 adds REFER, v3 TRUNCATE, v5 IOCTL_DEV. */
#define LL_FS_ABI1 ((1ull << 13) - 1)
#define LL_FS_REFER (1ull << 13)
#define LL_FS_TRUNCATE (1ull << 14)
#define LL_FS_IOCTL_DEV (1ull << 15)
/* Network rights (v4) and scopes (v6). */
#define LL_NET_BIND_TCP (1ull << 0)
#define LL_NET_CONNECT_TCP (1ull << 1)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ull << 0)
#define LL_SCOPE_SIGNAL (1ull << 1)

/* struct landlock_ruleset_attr as of ABI 6; the kernel takes its size. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

static const char *const fs_names[] = {
	"execute",   "write_file", "read_file", "read_dir",  "remove_dir", "remove_file",
	"make_char", "make_dir",   "make_reg",	"make_sock", "make_fifo",  "make_block",
	"make_sym",  "refer",	   "truncate",	"ioctl_dev",
};
static const char *const net_names[] = { "bind_tcp", "connect_tcp" };
static const char *const scope_names[] = { "abstract_unix_socket", "signal" };

int ih_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);

	if (abi < 0)
		return -errno;
	return abi > 0 ? (int)abi : -EINVAL;
}

void ih_landlock_rights_for_abi(int abi, struct ih_landlock_rights *ret)
{
	struct ih_landlock_rights r = {
		.fs = LL_FS_ABI1 | LL_FS_REFER | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV,
		.net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP,
		.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL,
	};

	switch (abi < 1 ? 1 : abi) {
	case 1:
		r.fs &= ~LL_FS_REFER;
		__attribute__((fallthrough));
	case 2:
		r.fs &= ~LL_FS_TRUNCATE;
		__attribute__((fallthrough));
	case 3:
		r.net = 0;
		__attribute__((fallthrough));
	case 4:
		r.fs &= ~LL_FS_IOCTL_DEV;
		__attribute__((fallthrough));
	case 5:
		r.scoped = 0;
		__attribute__((fallthrough));
	case 6: /* v7 adds audit-log flags only */
	default:
		break;
	}
	*ret = r;
}

int ih_landlock_deny_all(int abi)
{
	struct ih_landlock_rights r;
	struct ll_ruleset_attr attr;
	size_t size = sizeof(attr);
	int fd, err = 0;

	ih_landlock_rights_for_abi(abi, &r);
	attr = (struct ll_ruleset_attr){ r.fs, r.net, r.scoped };
	/* Kernels before v4 (net) and v6 (scoped) reject a struct longer than they know. */
	if (abi < 4)
		size = sizeof(attr.handled_access_fs);
	else if (abi < 6)
		size = 2 * sizeof(uint64_t);
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_landlock_restrict_self, fd, 0) < 0)
		err = -errno;
	close(fd);
	return err;
}

const char *ih_landlock_hint(int err)
{
	switch (err) {
	case -ENOSYS:
		return "Hint: build the kernel with CONFIG_SECURITY_LANDLOCK=y";
	case -EOPNOTSUPP:
		return "Hint: add landlock to CONFIG_LSM or to the lsm= boot parameter";
	default:
		return NULL;
	}
}

const char *ih_landlock_right_name(const char *kind, unsigned int bit)
{
	if (!strcmp(kind, "fs") && bit < sizeof(fs_names) / sizeof(fs_names[0]))
		return fs_names[bit];
	if (!strcmp(kind, "net") && bit < sizeof(net_names) / sizeof(net_names[0]))
		return net_names[bit];
	if (!strcmp(kind, "scoped") && bit < sizeof(scope_names) / sizeof(scope_names[0]))
		return scope_names[bit];
	return NULL;
}
