/* ih.mode=vsock-test: run the vsock test program, which only the TEST rootfs contains. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vsock_test_mode.h"

#define VSOCK_TEST_PATH "/sbin/ih-vsock-test"

int ih_vsock_test_mode(void)
{
	char *const argv[] = { (char *)"ih-vsock-test", NULL };
	char *const envp[] = { NULL };
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execve(VSOCK_TEST_PATH, argv, envp);
		printf("ih-vsock-test: cannot run %s: %s\n", VSOCK_TEST_PATH, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPROTO;
}
