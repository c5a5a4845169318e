/*
 * The records parser and file handling of decode farms (host/cli/records.h), fed what a
 * killed writer or a hostile file leaves: torn last lines, over-long lines, malformed JSON,
 * unknown and nested fields, escapes of every kind. Proves that a record written by the
 * --json writer round-trips its path byte for byte, that a torn tail is ignored when read
 * and cut off when the file is opened to append, and that a second writer is refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/cli/records.h"
#include "../tap.h"

static struct ih_record rec;

static int parses(const char *line)
{
	return ih_record_parse(line, strlen(line), &rec) == 0;
}

static void test_fields(void)
{
	tap_ok(parses("{\"file\":\"a/b.png\",\"status\":\"ok\",\"reason\":\"\",\"width\":3,"
		      "\"height\":4,\"channels\":3,\"layers\":[\"ns\",\"seccomp\"],"
		      "\"jail\":{\"mode\":\"strict\",\"active\":[\"landlock\"]},\"ms\":17,"
		      "\"end_ms\":1700000000123,\"output\":\"out/b-1.png\"}") &&
		       !strcmp(rec.file, "a/b.png") && !strcmp(rec.status, "ok") &&
		       rec.width == 3 && rec.height == 4 && rec.ms == 17 &&
		       rec.end_ms == 1700000000123ull && !strcmp(rec.output, "out/b-1.png"),
	       "a full --json record parses into its fields");
	tap_ok(parses("{\"status\":\"rejected\",\"file\":\"x\",\"output\":null,\"reason\":"
		      "\"r\"}") &&
		       rec.output[0] == '\0' && !strcmp(rec.reason, "r"),
	       "fields in any order; output null is empty");
	tap_ok(parses("{\"new\":{\"a\":[1,-2.5e3,true,false,null,{\"b\":\"c\"}]},\"file\":\"x\","
		      "\"status\":\"ok\",\"z\":\"\\u00e9\"}"),
	       "unknown fields, nested and of every type, are skipped");
	tap_ok(parses(" \t{ \"file\" : \"x\" , \"status\" : \"ok\" } \r"),
	       "whitespace around tokens and a CR before the newline");
}

static void test_strings(void)
{
	tap_ok(parses("{\"file\":\"caf\\u00c3\\u00a9/"
		      "\\u000a\\u0001\\\"q\\\\\",\"status\":\"ok\"}") &&
		       !strcmp(rec.file, "caf\xc3\xa9/\n\x01\"q\\"),
	       "\\u0000-\\u00ff escapes give the byte: the writer's raw bytes round-trip");
	tap_ok(parses("{\"file\":\"\\u20ac\\ud83d\\ude00\",\"status\":\"ok\"}") &&
		       !strcmp(rec.file, "\xe2\x82\xac\xf0\x9f\x98\x80"),
	       "higher code points and surrogate pairs give UTF-8");
	tap_ok(!parses("{\"file\":\"a\\u0000b\",\"status\":\"ok\"}"), "a NUL in a path is refused");
	tap_ok(!parses("{\"file\":\"\\ud83d\",\"status\":\"ok\"}") &&
		       !parses("{\"file\":\"\\ude00\",\"status\":\"ok\"}") &&
		       !parses("{\"file\":\"\\u12g4\",\"status\":\"ok\"}") &&
		       !parses("{\"file\":\"\\x\",\"status\":\"ok\"}") &&
		       !parses("{\"file\":\"\\u12"),
	       "lone surrogates, bad hex digits, unknown and cut escapes are refused");
	tap_ok(!parses("{\"file\":\"a\tb\",\"status\":\"ok\"}"),
	       "a raw control character in a string is refused");
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"file\":\"x\"}",
		"{\"status\":\"ok\"}",
		"{\"file\":\"\",\"status\":\"ok\"}",
		"{\"file\":\"x\",\"status\":\"ok\"",
		"{\"file\":\"x\",\"status\":\"ok\"}}",
		"{\"file\":\"x\",\"status\":\"ok\"} {}",
		"{\"file\":\"x\",\"status\":\"ok\",}",
		"{\"file\":\"x\",\"file\":\"y\",\"status\":\"ok\"}",
		"{\"file\":1,\"status\":\"ok\"}",
		"{\"file\":\"x\",\"status\":\"ok\",\"width\":-1}",
		"{\"file\":\"x\",\"status\":\"ok\",\"width\":4294967296}",
		"{\"file\":\"x\",\"status\":\"ok\",\"ms\":18446744073709551616}",
		"{\"file\":\"x\",\"status\":\"ok\",\"ms\":1.5}",
		"{\"file\":\"x\",\"status\":\"ok\",\"a\":tru}",
		"{\"file\":\"x\",\"status\":\"ok\",\"a\":[1,]}",
		"{\"file\":\"x\",\"status\":\"ok\",\"a\":-}",
		"{\"file\":\"x\",\"status\":\"a-status-longer-than-the-limit-of-32\"}",
	};
	int refused = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		refused += !parses(bad[i]);
		if (parses(bad[i]))
			tap_diag("accepted: %s", bad[i]);
	}
	tap_ok(refused == (int)(sizeof(bad) / sizeof(bad[0])),
	       "%d of %zu malformed records refused (missing, empty, repeated or mistyped "
	       "fields, trailing data, bad JSON, numbers out of range)",
	       refused, sizeof(bad) / sizeof(bad[0]));
}

static void test_depth(void)
{
	char deep[256] = "{\"file\":\"x\",\"status\":\"ok\",\"a\":";
	size_t n = strlen(deep);

	for (int i = 0; i < 40; i++)
		deep[n++] = '[';
	for (int i = 0; i < 40; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	deep[n] = '\0';
	tap_ok(!parses(deep), "nesting deeper than the limit is refused, not recursed into");
}

static int count_cb(const struct ih_record *r, void *ctx)
{
	(void)r;
	(*(int *)ctx)++;
	return 0;
}

/* Feeds data in chunks of step bytes; returns the records seen. */
static int feed(const char *data, size_t len, size_t step, struct ih_records_stats *st)
{
	struct ih_records_reader r;
	int seen = 0;

	if (ih_records_reader_init(&r, count_cb, &seen) < 0)
		abort();
	for (size_t at = 0; at < len; at += step)
		ih_records_feed(&r, data + at, len - at < step ? len - at : step);
	ih_records_finish(&r, st);
	return seen;
}

static void test_reader(void)
{
	static const char data[] = "{\"file\":\"a\",\"status\":\"ok\"}\n"
				   "\n"
				   "not json\n"
				   "{\"file\":\"b\",\"status\":\"rejected\"}\r\n"
				   "{\"file\":\"c\",\"sta";
	struct ih_records_stats st;
	int same = 1;

	for (size_t step = 1; step <= sizeof(data); step++) {
		int seen = feed(data, sizeof(data) - 1, step, &st);

		same &= seen == 2 && st.records == 2 && st.malformed == 1 && st.lines == 4 &&
			st.torn_tail;
	}
	tap_ok(same, "in chunks of every size: 2 records, 1 malformed line, the torn last line "
		     "ignored and reported");
	feed(data, (size_t)(strstr(data, "\r\n") + 2 - data), 7, &st);
	tap_ok(st.records == 2 && !st.torn_tail, "data ending on a newline has no torn tail");
}

static void test_overlong(void)
{
	size_t n = IH_RECORD_LINE_MAX + 100;
	char *big = malloc(n + 64);
	struct ih_records_stats st;
	int seen;

	if (!big)
		abort();
	memset(big, 'x', n);
	big[n] = '\n';
	strcpy(big + n + 1, "{\"file\":\"after\",\"status\":\"ok\"}\n");
	seen = feed(big, strlen(big), 4096, &st);
	tap_ok(seen == 1 && st.malformed == 1,
	       "a line over %d bytes is skipped whole, the next record still read",
	       IH_RECORD_LINE_MAX);
	free(big);
}

static int write_all(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ok = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static void test_files(const char *dir)
{
	char path[256], *got = NULL;
	struct ih_records_stats st;
	size_t cut = 99, len = 0;
	int fd = -1, fd2 = -1, seen = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/records.jsonl", dir);
	tap_ok(ih_records_read_file(path, true, count_cb, &seen, &st) == 0 && seen == 0,
	       "a missing records file reads as empty when allowed");
	tap_ok(ih_records_read_file(path, false, count_cb, &seen, &st) == -ENOENT,
	       "and is -ENOENT when not");
	write_all(path, "{\"file\":\"a\",\"status\":\"ok\"}\n{\"file\":\"b\",\"sta");
	tap_ok(ih_records_open(path, &fd, &cut) == 0 && cut == strlen("{\"file\":\"b\",\"sta"),
	       "opening to append cuts the torn last line (%zu bytes)", cut);
	tap_ok(ih_records_open(path, &fd2, &cut) == -EBUSY,
	       "a second writer of the same records file is refused (-EBUSY)");
	tap_ok(ih_records_append(fd, "{\"file\":\"b\",\"status\":\"ok\"}\n", 27) == 0 &&
		       ih_records_append(fd, "no newline", 10) == -EINVAL,
	       "a whole line appends; a line without its newline is refused");
	close(fd);
	f = fopen(path, "re");
	if (f) {
		got = malloc(256);
		len = got ? fread(got, 1, 255, f) : 0;
		fclose(f);
	}
	tap_ok(got && len == 54 &&
		       !memcmp(got,
			       "{\"file\":\"a\",\"status\":\"ok\"}\n{\"file\":\"b\",\"status\":"
			       "\"ok\"}\n",
			       54),
	       "the file holds exactly the two whole records");
	free(got);
	seen = 0;
	ih_records_read_file(path, false, count_cb, &seen, &st);
	tap_ok(seen == 2 && !st.torn_tail && st.malformed == 0, "and reads back as 2 records");
}

static void test_refusals(const char *dir)
{
	char path[256], *junk = malloc(IH_RECORD_LINE_MAX + 10);
	size_t cut = 0;
	int fd = -1, seen = 0;
	struct ih_records_stats st;
	struct stat sb;

	if (!junk)
		abort();
	snprintf(path, sizeof(path), "%s/not-records", dir);
	memset(junk, 'j', IH_RECORD_LINE_MAX + 9);
	junk[IH_RECORD_LINE_MAX + 9] = '\0';
	write_all(path, junk);
	tap_ok(ih_records_open(path, &fd, &cut) == -EINVAL && stat(path, &sb) == 0 &&
		       sb.st_size == IH_RECORD_LINE_MAX + 9,
	       "a file whose tail is longer than any record is refused and left whole");
	free(junk);
	tap_ok(ih_records_open(dir, &fd, &cut) < 0, "a directory is no records file");
	tap_ok(ih_records_read_file("/dev/null", false, count_cb, &seen, &st) == -EINVAL,
	       "only regular files are read (no device, FIFO or endless stream)");
}

int main(void)
{
	char dir[] = "/tmp/ih-records-test.XXXXXX";

	if (!mkdtemp(dir))
		return 1;
	test_fields();
	test_strings();
	test_malformed();
	test_depth();
	test_reader();
	test_overlong();
	test_files(dir);
	test_refusals(dir);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", dir);
	}
	return tap_done();
}
