/*
 * Pre-spawned decoder children, for guest/sandbox/isolate.c. A spawner process, forked
 * before the caller reads any image and holding none, makes each spare with
 * ih_sandbox_spawn() exactly as a fresh decode child is made (every layer, reported the same
 * way). The spare then touches its pixel memory and its input memory, so that their page
 * faults are paid while it waits, and blocks reading its image's header from a pipe; the
 * image's bytes are already in the input memory, a sealed memfd it maps read-only. It decodes
 * that image, answers like any child, and exits: a spare is never reused.
 *
 * Spares are the spawner's children, so the spawner reaps them when asked. A spare never saw
 * the caller's memory: it is a clone of the spawner, not of the caller holding other images.
 * The spawner shares the caller's fd table (CLONE_FILES, not its memory): the fds it makes
 * for a spare are the caller's without passing them over a socket (the guest kernel has no
 * AF_UNIX), and asks and answers are fixed-size messages on two pipes.
 */
#ifndef IH_GUEST_SPARE_H
#define IH_GUEST_SPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "guest/decode/decode.h"
#include "guest/decode/proto.h"
#include "sandbox.h"

/* What a spare is made for: it decodes only a request with these limits and flags. */
struct ih_spare_want {
	struct ih_limits lim;
	bool allow_degraded;
	uint64_t pixel_cap; /* the size of the pixel memory it is given */
	uint64_t input_cap; /* the input memory's size, over IH_SPARE_INPUT_OFF + max_input_bytes */
	uint64_t pixel_touch; /* bytes of it to fault in while waiting */
	uint64_t input_touch; /* bytes of the input memory to fault in while waiting */
	uint32_t lazy; /* lazy decoders the spawner prepares first (ih_decode_lazy_need) */
};

struct ih_spawner {
	pid_t pid;
	int pidfd;
	int ask_fd; /* our end of the asks' pipe */
	int ans_fd; /* our end of the answers' pipe */
};

struct ih_spare {
	pid_t pid;
	int pidfd;
	int in_fd; /* the image's header goes here (a pipe), then it is closed */
	int out_fd; /* the answer comes here, as from a fresh child */
	struct ih_sandbox_report rep; /* step IH_STEP_NONE: the spare is waiting */
};

/* The input memory: a word the caller sets once the image is in (the waiting spare stops
 * faulting pages in when it sees it: the image goes first), then the image's bytes from
 * IH_SPARE_INPUT_OFF. */
#define IH_SPARE_INPUT_OFF 64

/* The header of the image a spare is sent; its len bytes are in the input memory. */
struct ih_spare_image {
	uint64_t len;
	struct ih_decode_opts opts;
};

/* What a spare runs once its image arrived, inside the sandbox; returns its exit code. */
typedef int (*ih_spare_decode_fn)(const struct ih_limits *lim, const struct ih_decode_opts *opts,
				  const uint8_t *input, size_t input_len,
				  const struct ih_pixel_dest *dest, int out_fd, uint32_t layers);

/* Starts the spawner: 0 with *ret, or -errno. */
int ih_spawner_start(ih_spare_decode_fn fn, struct ih_spawner *ret);

/* Asks for a spare as want says, its pixels in pixel_fd (pixel_cap bytes), its image in
 * input_fd (input_cap bytes, sealed against writable mappings); answered in order. */
int ih_spawner_ask(const struct ih_spawner *s, const struct ih_spare_want *want, int pixel_fd,
		   int input_fd);

/* The answer to the oldest ask: 0 with *ret (rep says whether a spare waits; if not, its
 * fds are -1), or -errno (the spawner is gone). */
int ih_spawner_answer(const struct ih_spawner *s, struct ih_spare *ret);

/* Has the spawner reap pid (it has ended or been killed): its wait status and usage. */
int ih_spawner_reap(const struct ih_spawner *s, pid_t pid, int *ret_status, struct rusage *ret_ru);

/* Ends the spawner once every spare it made has ended (kill the waiting one first), and
 * reaps it. */
void ih_spawner_stop(struct ih_spawner *s);

#endif
