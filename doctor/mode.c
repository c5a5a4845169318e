/* ih.mode=doctor in the guest init: run /sbin/ih-doctor, its TAP to the host over vsock. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "doctor_mode.h"
#include "guest/decode/proto.h"
#include "guest/init/run_prog.h"
#include "guest/init/vsock_host.h"

#define DOCTOR_PATH "/sbin/ih-doctor"

/* Runs the doctor with its stdout on out; 0 when it ran to the end (pass or fail). */
static int run_doctor(int out)
{
	int status, r = ih_run_prog(DOCTOR_PATH, out, &status);

	if (r < 0)
		return r;
	if (WIFEXITED(status) && WEXITSTATUS(status) <= 1)
		return 0;
	printf("ih-doctor: the doctor ended abnormally (status 0x%x)\n", (unsigned int)status);
	return -ECHILD;
}

int ih_doctor_mode(void)
{
	_cleanup_close_ int fd = -1;
	int r;

	r = ih_vsock_connect_host(IH_VSOCK_PORT, IH_VSOCK_CONNECT_TRIES, &fd);
	if (r == 0)
		return run_doctor(fd);
	printf("ih-doctor: no vsock connection to the host (%s): TAP on the console\n",
	       strerror(-r));
	puts("IH-DOCTOR-BEGIN");
	r = run_doctor(STDOUT_FILENO);
	puts("IH-DOCTOR-END");
	return r;
}
