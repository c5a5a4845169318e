/* Shared by the jail tests: run a suite as this user and (when root) as nobody, and wait
 * for a jailed process with a hard timeout. */
#ifndef IH_TESTS_JAIL_TEST_H
#define IH_TESTS_JAIL_TEST_H

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "tap.h"

#define NOBODY 65534

/* Exit status of pid, or -ETIMEDOUT after killing it when it outlives timeout_ms. */
__attribute__((unused)) static int wait_timeout(pid_t pid, int timeout_ms)
{
	int status;

	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0)
			return -errno;
		if (waited >= timeout_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -ETIMEDOUT;
		}
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
}

/* As nobody in a child that reports its TAP counters back, so numbering stays continuous. */
__attribute__((unused)) static void run_as_nobody(void (*suite)(const char *who))
{
	int p[2], counts[2] = { 0, 0 };
	pid_t pid;

	fflush(stdout);
	if (pipe(p) < 0 || (pid = fork()) < 0) {
		tap_ok(0, "fork a child to run as uid %d", NOBODY);
		return;
	}
	if (pid == 0) {
		close(p[0]);
		if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
		    setresuid(NOBODY, NOBODY, NOBODY) < 0 || prctl(PR_SET_DUMPABLE, 1) < 0)
			_exit(2);
		suite("as nobody");
		fflush(stdout);
		counts[0] = tap_n;
		counts[1] = tap_failed;
		_exit(write(p[1], counts, sizeof(counts)) == sizeof(counts) ? 0 : 3);
	}
	close(p[1]);
	if (read(p[0], counts, sizeof(counts)) == sizeof(counts)) {
		tap_n = counts[0];
		tap_failed = counts[1];
	}
	close(p[0]);
	tap_ok(wait_timeout(pid, 300 * 1000) == 0, "the suite as uid %d ran to its end", NOBODY);
}

__attribute__((unused)) static void run_as_users(void (*suite)(const char *who))
{
	suite(getuid() == 0 ? "as root" : "as this user");
	if (getuid() == 0)
		run_as_nobody(suite);
	else
		tap_skip("not root: cannot also run as uid %d", NOBODY);
}

#endif
