/* Cleanup attributes for the VMM jail's files: an fd or a FILE closed at scope exit. */
#ifndef IH_HOST_JAIL_CLEANUP_H
#define IH_HOST_JAIL_CLEANUP_H

#include <stdio.h>
#include <unistd.h>

static inline void ih_jail_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define cleanup_fd __attribute__((cleanup(ih_jail_closep)))

static inline void ih_jail_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define cleanup_file __attribute__((cleanup(ih_jail_fclosep)))

#endif
