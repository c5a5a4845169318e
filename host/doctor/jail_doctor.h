/* The VMM jail's line in `ih-vm doctor --host`: which jail layers this host allows. */
#ifndef IH_HOST_JAIL_DOCTOR_H
#define IH_HOST_JAIL_DOCTOR_H

#include "doctor_host.h"

/* An ih_host_check fn: PASS when every layer applies here, SKIP (ABSENT) naming the layers
 * best-effort would run without, with a Hint for the first. Live host only: under a
 * sysroot (the doctor's unit tests) it reports SKIP without probing. */
void ih_jail_host_check(const struct ih_host_ctx *ctx, struct ih_host_result *ret);

#endif
