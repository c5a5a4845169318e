/* ih.mode=doctor in the guest init: harden as for serving, then run /sbin/ih-doctor. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "cleanup.h"
#include "doctor_mode.h"
#include "proto.h"
#include "serve_sysctl.h"
#include "sysctl_conf.h"

#define DOCTOR_PATH "/sbin/ih-doctor"
#define CONNECT_TRIES 150 /* 20 ms apart: 3 s for the host's listener */

static void report_absent(const struct ih_sysctl *s)
{
	printf("ih-doctor: sysctl %s is not in this kernel (feature compiled out)\n", s->name);
}

/* The same sysctls the decode service sets: the doctor checks the state it serves in. */
static int harden(void)
{
	struct ih_sysctl failed;
	int r = ih_sysctl_apply(ih_sysctl_conf, "/proc/sys", report_absent, &failed);

	if (r < 0)
		printf("ih-doctor: cannot set sysctl %s=%s: %s\n", failed.name, failed.value,
		       strerror(-r));
	return r;
}

static int connect_host(int *ret_fd)
{
	const struct sockaddr_vm addr = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_HOST,
		.svm_port = IH_VSOCK_PORT,
	};
	const struct timespec pause_20ms = { .tv_nsec = 20 * 1000 * 1000 };
	int r = -EIO;

	for (int i = 0; i < CONNECT_TRIES; i++) {
		int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		if (connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) == 0) {
			*ret_fd = fd;
			return 0;
		}
		r = -errno;
		close(fd);
		nanosleep(&pause_20ms, NULL);
	}
	return r;
}

/* Runs the doctor with its stdout on out; 0 when it ran to the end (pass or fail). */
static int run_doctor(int out)
{
	char *const argv[] = { (char *)"ih-doctor", NULL };
	char *const envp[] = { NULL };
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (out != STDOUT_FILENO && dup2(out, STDOUT_FILENO) < 0)
			_exit(127);
		execve(DOCTOR_PATH, argv, envp);
		printf("ih-doctor: cannot run %s: %s\n", DOCTOR_PATH, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) <= 1)
		return 0;
	printf("ih-doctor: the doctor ended abnormally (status 0x%x)\n", (unsigned int)status);
	return -ECHILD;
}

int ih_doctor_mode(void)
{
	_cleanup_close_ int fd = -1;
	int r;

	r = harden();
	if (r < 0)
		return r;
	r = connect_host(&fd);
	if (r == 0)
		return run_doctor(fd);
	printf("ih-doctor: no vsock connection to the host (%s): TAP on the console\n",
	       strerror(-r));
	puts("IH-DOCTOR-BEGIN");
	r = run_doctor(STDOUT_FILENO);
	puts("IH-DOCTOR-END");
	return r;
}
