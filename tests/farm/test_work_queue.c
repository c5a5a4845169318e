/*
 * The inputs' queue of `decode --jobs N` (host/cli/work_queue.h): two forked workers taking
 * inputs until none is left get every input exactly once between them; a worker that takes
 * one and is held up leaves every other input to the free worker (a fixed split of every
 * second input would leave it half); a child started by a worker does not have the queue's
 * page at all, so a decoder cannot move the counter, while the control, a child of a
 * process that skipped the worker's step, has it and can.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "host/cli/work_queue.h"

#define N 1000

/* Takes inputs until none is left, writing each index to fd; the first after one waits
 * for a byte on hold_fd when it is not -1. */
static void worker(const struct ih_work_queue *q, int fd, int hold_fd)
{
	size_t i;
	bool first = true;
	char c;

	while (ih_work_queue_take(q, &i)) {
		uint32_t v = (uint32_t)i;

		if (write(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
			_exit(2);
		if (first && hold_fd >= 0 && read(hold_fd, &c, 1) != 1)
			_exit(3);
		first = false;
	}
	_exit(0);
}

static pid_t start(const struct ih_work_queue *q, int fd, int hold_fd)
{
	pid_t pid = fork();

	if (pid == 0)
		worker(q, fd, hold_fd);
	return pid;
}

/* Reads every index the workers wrote to fd until it closes: how many each index came. */
static void tally(int fd, uint32_t *seen, size_t *ret_total)
{
	uint32_t v;

	*ret_total = 0;
	while (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v)) {
		if (v < N)
			seen[v]++;
		++*ret_total;
	}
}

static void test_once_each(void)
{
	struct ih_work_queue q;
	static uint32_t seen[N];
	int fds[2];
	size_t total, once = 0;
	pid_t a, b;
	int sa, sb;

	if (!tap_ok(ih_work_queue_open(&q, N) == 0 && pipe(fds) == 0, "a queue of %d inputs", N))
		return;
	a = start(&q, fds[1], -1);
	b = start(&q, fds[1], -1);
	close(fds[1]);
	tally(fds[0], seen, &total);
	close(fds[0]);
	waitpid(a, &sa, 0);
	waitpid(b, &sb, 0);
	for (int i = 0; i < N; i++)
		once += seen[i] == 1;
	tap_ok(sa == 0 && sb == 0 && total == N && once == N,
	       "two workers took every input exactly once (%zu taken, %zu once)", total, once);
	ih_work_queue_close(&q);
}

static void test_free_worker_takes_the_rest(void)
{
	struct ih_work_queue q;
	static uint32_t seen[N];
	int fds[2], hold[2], got[2];
	size_t total, i;
	pid_t slow, fast;
	int st;

	if (ih_work_queue_open(&q, N) < 0 || pipe(hold) < 0 || pipe(got) < 0) {
		tap_ok(0, "set-up of the held worker");
		return;
	}
	slow = start(&q, got[1], hold[0]);
	close(got[1]);
	if (pipe(fds) < 0) { /* after the held worker: only the free one holds its write end */
		tap_ok(0, "set-up of the free worker");
		return;
	}
	if (read(got[0], &i, sizeof(uint32_t)) != sizeof(uint32_t)) /* it took its first */
		i = 0;
	fast = start(&q, fds[1], -1);
	close(fds[1]);
	tally(fds[0], seen, &total);
	if (write(hold[1], "x", 1) != 1)
		tap_diag("cannot release the held worker");
	waitpid(fast, &st, 0);
	waitpid(slow, &st, 0);
	tap_ok(total == N - 1,
	       "while one worker is held on its first input, the free one takes the other %zu "
	       "(of %d)",
	       total, N - 1);
	close(fds[0]);
	close(got[0]);
	close(hold[0]);
	close(hold[1]);
	ih_work_queue_close(&q);
}

/* In a child of a process that did (or skipped) the worker's step: 1 when the queue's page
 * is mapped there and a write to the counter moves the parent's, else 0. */
static int child_moves_counter(const struct ih_work_queue *q, bool worker_step)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		pid_t grand;
		unsigned char v;

		if (worker_step && ih_work_queue_worker(q) < 0)
			_exit(9);
		grand = fork();
		if (grand == 0) {
			if (mincore(q->next, 1, &v) < 0 && errno == ENOMEM)
				_exit(0); /* not mapped here */
			__atomic_store_n(q->next, 7, __ATOMIC_RELAXED);
			_exit(1);
		}
		if (waitpid(grand, &st, 0) != grand || !WIFEXITED(st))
			_exit(9);
		_exit(WEXITSTATUS(st));
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st) == 1 && __atomic_load_n(q->next, __ATOMIC_RELAXED) == 7	 ? 1
	       : WEXITSTATUS(st) == 0 && __atomic_load_n(q->next, __ATOMIC_RELAXED) == 0 ? 0
											 : -1;
}

static void test_children_have_no_queue(void)
{
	struct ih_work_queue q;
	int r;

	if (ih_work_queue_open(&q, N) < 0) {
		tap_ok(0, "a queue for the inheritance test");
		return;
	}
	r = child_moves_counter(&q, true);
	tap_ok(r == 0, "a worker's child has no queue page and the counter stays put (%d)", r);
	r = child_moves_counter(&q, false);
	tap_ok(r == 1, "control: without the worker's step, its child has it and moves it (%d)", r);
	ih_work_queue_close(&q);
}

static void test_taken_out(void)
{
	struct ih_work_queue q;
	size_t i, n = 0;

	if (ih_work_queue_open(&q, 3) < 0) {
		tap_ok(0, "a queue of 3");
		return;
	}
	while (n < 10 && ih_work_queue_take(&q, &i))
		n++;
	tap_ok(n == 3 && !ih_work_queue_take(&q, &i) && *q.next == 3,
	       "a queue of 3 hands out 3, then none, and its counter stops at 3 (%zu)", n);
	ih_work_queue_close(&q);
}

int main(void)
{
	test_once_each();
	test_free_worker_takes_the_rest();
	test_children_have_no_queue();
	test_taken_out();
	return tap_done();
}
