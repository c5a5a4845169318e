/* Scope-bound release of fds, memory, directory streams and stdio files for the doctor. */
#ifndef IH_DOCTOR_CLEANUP_H
#define IH_DOCTOR_CLEANUP_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void ih_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void ih_freep(void *p)
{
	free(*(void **)p);
}

static inline void ih_closedirp(DIR **dir)
{
	if (*dir)
		closedir(*dir);
}

static inline void ih_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_close_ __attribute__((cleanup(ih_closep)))
#define _cleanup_free_ __attribute__((cleanup(ih_freep)))
#define _cleanup_closedir_ __attribute__((cleanup(ih_closedirp)))
#define _cleanup_fclose_ __attribute__((cleanup(ih_fclosep)))

#endif
