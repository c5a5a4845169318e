/* Guest init modes that hand over to another program of the root (/sbin/ih-doctor, ...). */
#ifndef IH_GUEST_RUN_PROG_H
#define IH_GUEST_RUN_PROG_H

/*
 * Runs path with no arguments but its name and an empty environment, its stdout on out
 * (-1: the init's own), and waits for it. Returns 0 with its wait status in *ret_status, or
 * -errno when it could not be started or waited for (a failed exec is exit status 127).
 */
int ih_run_prog(const char *path, int out, int *ret_status);

#endif
