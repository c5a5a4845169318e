/*
 * Fuzzer inputs kept as regression tests (tests/fuzz/regress/), compiled into the test
 * program by tests/fuzz/gen-inputs.sh so that it reads no file at run time.
 */
#ifndef IH_TESTS_FUZZ_INPUTS_H
#define IH_TESTS_FUZZ_INPUTS_H

#include <stddef.h>

struct fuzz_input {
	const char *name; /* the file's name under tests/fuzz/regress/ */
	const unsigned char *data;
	size_t len;
};

extern const struct fuzz_input fuzz_inputs[];
extern const unsigned int fuzz_ninputs;

#endif
