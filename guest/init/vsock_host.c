/* Connecting to the host over AF_VSOCK; see vsock_host.h. */
#include <errno.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "vsock_host.h"

int ih_vsock_connect_host(unsigned int port, unsigned int tries, int *ret_fd)
{
	const struct sockaddr_vm addr = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_HOST,
		.svm_port = port,
	};
	const struct timespec pause_20ms = { .tv_nsec = 20 * 1000 * 1000 };
	int r = -ECONNREFUSED;

	for (unsigned int i = 0; i < tries; i++) {
		int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		if (connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) == 0) {
			*ret_fd = fd;
			return 0;
		}
		r = -errno;
		close(fd);
		if (i + 1 < tries)
			nanosleep(&pause_20ms, NULL);
	}
	return r;
}
