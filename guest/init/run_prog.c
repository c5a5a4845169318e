/* Starting a program of the guest root from the init; see run_prog.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_prog.h"

int ih_run_prog(const char *path, int out, int *ret_status)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *const argv[] = { (char *)name, NULL };
	char *const envp[] = { NULL };
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (out >= 0 && out != STDOUT_FILENO && dup2(out, STDOUT_FILENO) < 0)
			_exit(127);
		execve(path, argv, envp);
		printf("ih-init: cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, ret_status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}
