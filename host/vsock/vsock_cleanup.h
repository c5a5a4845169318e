/* Scope-bound fds for the vsock code: `vsock_cleanup_fd int fd = -1;` closes fd at the end
 * of the scope unless vsock_steal_fd() handed it on. */
#ifndef IH_HOST_VSOCK_CLEANUP_H
#define IH_HOST_VSOCK_CLEANUP_H

#include <unistd.h>

static inline void vsock_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Returns *fd and leaves -1 behind, so that the cleanup does not close it. */
static inline int vsock_steal_fd(int *fd)
{
	int v = *fd;

	*fd = -1;
	return v;
}

#define vsock_cleanup_fd __attribute__((cleanup(vsock_closep)))

#endif
