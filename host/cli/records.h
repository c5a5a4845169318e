/*
 * Records files of decode farms (`ih-vm decode --records FILE`): JSON Lines, one record per
 * input in the shape of the --json records. Writing appends each record as one whole line
 * in one write(2); reading (for --resume and `ih-vm report`) treats the file as hostile:
 * bounded lines, unknown fields skipped, a torn last line (no newline: the writer was killed
 * mid-write) ignored and counted, malformed lines skipped and counted, never a crash.
 */
#ifndef IH_HOST_RECORDS_H
#define IH_HOST_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest record line read; longer lines are malformed (a record of a PATH_MAX path
 * whose every byte is escaped as \u00XX is 24 KiB). */
#define IH_RECORD_LINE_MAX (64 * 1024)
#define IH_RECORD_PATH_MAX 4096
#define IH_RECORD_STATUS_MAX 32
#define IH_RECORD_REASON_MAX 512

/* The fields of a record that farms use; every other field is skipped. */
struct ih_record {
	char file[IH_RECORD_PATH_MAX]; /* the input path exactly as given (required) */
	char status[IH_RECORD_STATUS_MAX]; /* "ok", "rejected", ... (required) */
	char reason[IH_RECORD_REASON_MAX];
	char output[IH_RECORD_PATH_MAX]; /* "" when null or absent */
	uint32_t width, height;
	uint64_t ms; /* the input's decode time */
	uint64_t end_ms; /* wall clock (ms since the epoch) when it ended; 0 if absent */
};

/*
 * Parses one line (without its newline; need not be NUL-terminated). Strings are decoded
 * the way the record writer encodes them: \u0000-\u00ff give the byte itself, so a path
 * with any bytes round-trips; higher code points give UTF-8. 0, or -EINVAL when the line
 * is not one JSON object with a string "file" and "status" (a NUL in them included).
 */
int ih_record_parse(const char *line, size_t len, struct ih_record *ret);

struct ih_records_stats {
	size_t lines; /* complete lines seen, empty ones included */
	size_t records; /* parsed and handed to the callback */
	size_t malformed; /* complete lines that did not parse, or were too long */
	bool torn_tail; /* the data ended in a partial line, which was ignored */
};

/* Called for each record; a negative return stops the reading and is returned. */
typedef int (*ih_record_fn)(const struct ih_record *rec, void *ctx);

/* A streaming reader: feed it the data in chunks of any size, then finish it. */
struct ih_records_reader {
	char *line; /* IH_RECORD_LINE_MAX bytes */
	size_t len;
	bool overlong; /* the current line passed the limit: skip to its newline */
	struct ih_record *rec;
	ih_record_fn fn;
	void *ctx;
	struct ih_records_stats stats;
};

/* 0 or -ENOMEM. */
int ih_records_reader_init(struct ih_records_reader *r, ih_record_fn fn, void *ctx);
/* 0, or the callback's negative return. */
int ih_records_feed(struct ih_records_reader *r, const char *data, size_t len);
/* Ends the data: a partial last line is dropped (stats.torn_tail). Frees the reader. */
void ih_records_finish(struct ih_records_reader *r, struct ih_records_stats *ret_stats);

/* Reads a whole records file. 0 (a missing file is empty when missing_ok), or -errno. */
int ih_records_read_file(const char *path, bool missing_ok, ih_record_fn fn, void *ctx,
			 struct ih_records_stats *ret_stats);

/*
 * Opens path for appending records, creating it (0644), and takes an exclusive lock on it
 * for the life of the fd: -EBUSY when another process holds it. A torn last line left by
 * a killed writer is cut off first (*ret_cut_bytes says how much). 0 or -errno.
 */
int ih_records_open(const char *path, int *ret_fd, size_t *ret_cut_bytes);

/* Appends one line (which must end in '\n') in a single write: 0, or -errno (-EIO for a
 * short write). */
int ih_records_append(int fd, const char *line, size_t len);

#endif
