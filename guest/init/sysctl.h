/*
 * The guest's hardening sysctls, from guest/init/sysctl.conf (built into the init): parse the
 * table and apply it under a /proc/sys directory (the real one in the guest, a scratch
 * tree in the tests).
 */
#ifndef IH_GUEST_SYSCTL_H
#define IH_GUEST_SYSCTL_H

#include <stdbool.h>

#define IH_SYSCTL_NAME_MAX 64
#define IH_SYSCTL_VALUE_MAX 16

struct ih_sysctl {
	char name[IH_SYSCTL_NAME_MAX]; /* dotted, e.g. kernel.kptr_restrict */
	char value[IH_SYSCTL_VALUE_MAX];
	bool required;
};

/* Called once for every sysctl the kernel lacks (if-present entries only). */
typedef void (*ih_sysctl_absent_fn)(const struct ih_sysctl *s);

/*
 * Parses one line of the table: 1 with *ret filled, 0 for a blank or comment line, -EINVAL
 * for a malformed one.
 */
int ih_sysctl_parse_line(const char *line, struct ih_sysctl *ret);

/*
 * Applies every entry of the table conf under procsys (normally "/proc/sys"), reading each
 * value back. Returns 0, or -errno with *ret_failed naming the entry that stopped it (a
 * required one absent, or one present that could not be set).
 */
int ih_sysctl_apply(const char *conf, const char *procsys, ih_sysctl_absent_fn absent,
		    struct ih_sysctl *ret_failed);

#endif
