/* ih.mode=vsock-test: run the vsock test program, which only the TEST rootfs contains. */
#include <errno.h>
#include <sys/wait.h>

#include "run_prog.h"
#include "vsock_test_mode.h"

int ih_vsock_test_mode(void)
{
	int status, r = ih_run_prog("/sbin/ih-vsock-test", -1, &status);

	if (r < 0)
		return r;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPROTO;
}
