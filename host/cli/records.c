/* Records files of decode farms: the bounded line reader, the record parser and the
 * whole-line appender (host/cli/records.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "records.h"

/* Arrays and objects nested deeper than this in a record are malformed. */
#define MAX_DEPTH 16

struct cursor {
	const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
		c->p++;
}

/* Skips whitespace, then takes ch: 0 or -EINVAL. */
static int take(struct cursor *c, char ch)
{
	skip_ws(c);
	if (c->p >= c->end || *c->p != ch)
		return -EINVAL;
	c->p++;
	return 0;
}

static int hex4(struct cursor *c, uint32_t *ret)
{
	uint32_t v = 0;

	if (c->end - c->p < 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		char h = *c->p++;

		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= (uint32_t)(h - '0');
		else if (h >= 'a' && h <= 'f')
			v |= (uint32_t)(h - 'a' + 10);
		else if (h >= 'A' && h <= 'F')
			v |= (uint32_t)(h - 'A' + 10);
		else
			return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* Output of a decoded string: buf of cap bytes (NUL included), or nothing when buf is NULL. */
struct sink {
	char *buf;
	size_t cap, len;
};

static int put(struct sink *s, uint8_t byte)
{
	if (!s->buf)
		return 0;
	if (byte == 0 || s->len + 1 >= s->cap)
		return -EINVAL;
	s->buf[s->len++] = (char)byte;
	return 0;
}

/* A code point: below 0x100 the byte itself (the writer's encoding of raw bytes), else UTF-8. */
static int put_code_point(struct sink *s, uint32_t cp)
{
	int r;

	if (cp < 0x100)
		return put(s, (uint8_t)cp);
	if (cp < 0x800)
		return put(s, (uint8_t)(0xc0 | cp >> 6)) ?: put(s, (uint8_t)(0x80 | (cp & 0x3f)));
	if (cp < 0x10000)
		r = put(s, (uint8_t)(0xe0 | cp >> 12));
	else
		r = put(s, (uint8_t)(0xf0 | cp >> 18))
			    ?: put(s, (uint8_t)(0x80 | ((cp >> 12) & 0x3f)));
	return r ?: put(s, (uint8_t)(0x80 | ((cp >> 6) & 0x3f))) ?: put(s, (uint8_t)(0x80 | (cp & 0x3f)));
}

/* \uXXXX, with a surrogate pair joined; c is past the 'u'. */
static int unicode_escape(struct cursor *c, struct sink *s)
{
	uint32_t hi, lo;

	if (hex4(c, &hi) < 0 || (hi >= 0xdc00 && hi <= 0xdfff))
		return -EINVAL;
	if (hi < 0xd800 || hi > 0xdbff)
		return put_code_point(s, hi);
	if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u')
		return -EINVAL;
	c->p += 2;
	if (hex4(c, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
		return -EINVAL;
	return put_code_point(s, 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00));
}

static int escape(struct cursor *c, struct sink *s)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;

	if (c->p >= c->end)
		return -EINVAL;
	if (*c->p == 'u') {
		c->p++;
		return unicode_escape(c, s);
	}
	e = *c->p ? strchr(from, *c->p) : NULL;
	if (!e)
		return -EINVAL;
	c->p++;
	return put(s, (uint8_t)to[e - from]);
}

/* A JSON string (after whitespace) into s; raw control characters are malformed. */
static int string(struct cursor *c, struct sink *s)
{
	int r = take(c, '"');

	while (r == 0) {
		uint8_t ch;

		if (c->p >= c->end)
			return -EINVAL;
		ch = (uint8_t)*c->p++;
		if (ch == '"')
			break;
		if (ch < 0x20)
			return -EINVAL;
		r = ch == '\\' ? escape(c, s) : put(s, ch);
	}
	if (r == 0 && s->buf)
		s->buf[s->len] = '\0';
	return r;
}

/* A non-negative integer of at most max. */
static int number(struct cursor *c, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;
	const char *start;

	skip_ws(c);
	start = c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		uint64_t d = (uint64_t)(*c->p++ - '0');

		if (v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (c->p == start || (c->p < c->end && *c->p && strchr(".eE-+", *c->p)))
		return -EINVAL;
	*ret = v;
	return 0;
}

static int word(struct cursor *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n))
		return -EINVAL;
	c->p += n;
	return 0;
}

static int skip_value(struct cursor *c, int depth);

/* [v, ...] or {"k": v, ...}; c is past the opening bracket. */
static int skip_container(struct cursor *c, char close, int depth)
{
	struct sink none = { 0 };

	skip_ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return 0;
	}
	for (;;) {
		if (close == '}' && (string(c, &none) < 0 || take(c, ':') < 0))
			return -EINVAL;
		if (skip_value(c, depth + 1) < 0)
			return -EINVAL;
		skip_ws(c);
		if (c->p >= c->end)
			return -EINVAL;
		if (*c->p == close) {
			c->p++;
			return 0;
		}
		if (*c->p++ != ',')
			return -EINVAL;
	}
}

/* Any JSON value, checked and dropped. */
static int skip_value(struct cursor *c, int depth)
{
	struct sink none = { 0 };

	if (depth > MAX_DEPTH)
		return -EINVAL;
	skip_ws(c);
	if (c->p >= c->end)
		return -EINVAL;
	switch (*c->p) {
	case '"':
		return string(c, &none);
	case '{':
	case '[':
		return skip_container(c, *c->p++ == '{' ? '}' : ']', depth);
	case 't':
		return word(c, "true");
	case 'f':
		return word(c, "false");
	case 'n':
		return word(c, "null");
	default:
		break;
	}
	if (*c->p == '-')
		c->p++;
	if (c->p >= c->end || *c->p < '0' || *c->p > '9')
		return -EINVAL;
	while (c->p < c->end && *c->p && strchr("0123456789.eE+-", *c->p))
		c->p++;
	return 0;
}

enum field_kind { STR, STR_OR_NULL, U32, U64 };

struct field {
	const char *name;
	enum field_kind kind;
	size_t off, cap;
};

#define FIELD(n, k, m)                                                                             \
	{                                                                                          \
		n, k, offsetof(struct ih_record, m), sizeof(((struct ih_record *)0)->m)            \
	}
static const struct field fields[] = {
	FIELD("file", STR, file),     FIELD("status", STR, status),
	FIELD("reason", STR, reason), FIELD("output", STR_OR_NULL, output),
	FIELD("width", U32, width),   FIELD("height", U32, height),
	FIELD("ms", U64, ms),	      FIELD("end_ms", U64, end_ms),
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static int known_value(struct cursor *c, const struct field *f, struct ih_record *rec)
{
	char *at = (char *)rec + f->off;
	struct sink s = { .buf = at, .cap = f->cap };
	uint64_t v;

	skip_ws(c);
	switch (f->kind) {
	case STR_OR_NULL:
		if (word(c, "null") == 0)
			return 0;
		/* fall through */
	case STR:
		return string(c, &s);
	case U32:
		if (number(c, UINT32_MAX, &v) < 0)
			return -EINVAL;
		*(uint32_t *)(void *)at = (uint32_t)v;
		return 0;
	default:
		return number(c, UINT64_MAX, (uint64_t *)(void *)at);
	}
}

/* "key": value; a known key may come only once. */
static int member(struct cursor *c, struct ih_record *rec, unsigned int *seen)
{
	struct sink none = { 0 };
	const char *key;
	size_t len;

	skip_ws(c);
	key = c->p + 1; /* the raw name between the quotes: known names have no escapes */
	if (string(c, &none) < 0)
		return -EINVAL;
	len = (size_t)(c->p - key) - 1;
	if (take(c, ':') < 0)
		return -EINVAL;
	for (size_t i = 0; i < N_FIELDS; i++) {
		if (strlen(fields[i].name) != len || memcmp(fields[i].name, key, len))
			continue;
		if (*seen & (1u << i))
			return -EINVAL;
		*seen |= 1u << i;
		return known_value(c, &fields[i], rec);
	}
	return skip_value(c, 1);
}

int ih_record_parse(const char *line, size_t len, struct ih_record *ret)
{
	struct cursor c = { line, line + len };
	unsigned int seen = 0;

	memset(ret, 0, sizeof(*ret));
	if (take(&c, '{') < 0)
		return -EINVAL;
	skip_ws(&c);
	if (c.p < c.end && *c.p == '}') {
		c.p++;
	} else {
		for (;;) {
			if (member(&c, ret, &seen) < 0)
				return -EINVAL;
			skip_ws(&c);
			if (c.p < c.end && *c.p == ',') {
				c.p++;
				continue;
			}
			if (take(&c, '}') < 0)
				return -EINVAL;
			break;
		}
	}
	skip_ws(&c);
	if (c.p != c.end || !ret->file[0] || !ret->status[0])
		return -EINVAL;
	return 0;
}

int ih_records_reader_init(struct ih_records_reader *r, ih_record_fn fn, void *ctx)
{
	*r = (struct ih_records_reader){ .fn = fn, .ctx = ctx };
	r->line = malloc(IH_RECORD_LINE_MAX);
	r->rec = malloc(sizeof(*r->rec));
	if (!r->line || !r->rec) {
		free(r->line);
		free(r->rec);
		return -ENOMEM;
	}
	return 0;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* A complete line is in r->line (or was too long). */
static int end_line(struct ih_records_reader *r)
{
	bool overlong = r->overlong;
	size_t len = r->len;

	r->stats.lines++;
	r->len = 0;
	r->overlong = false;
	if (!overlong && blank(r->line, len))
		return 0;
	if (overlong || ih_record_parse(r->line, len, r->rec) < 0) {
		r->stats.malformed++;
		return 0;
	}
	r->stats.records++;
	return r->fn ? r->fn(r->rec, r->ctx) : 0;
}

int ih_records_feed(struct ih_records_reader *r, const char *data, size_t len)
{
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;
		int ret;

		if (r->len + n > IH_RECORD_LINE_MAX)
			r->overlong = true;
		if (!r->overlong) {
			memcpy(r->line + r->len, data, n);
			r->len += n;
		}
		if (!nl)
			return 0;
		ret = end_line(r);
		if (ret < 0)
			return ret;
		data += n + 1;
		len -= n + 1;
	}
	return 0;
}

void ih_records_finish(struct ih_records_reader *r, struct ih_records_stats *ret_stats)
{
	r->stats.torn_tail = r->len > 0 || r->overlong;
	if (ret_stats)
		*ret_stats = r->stats;
	free(r->line);
	free(r->rec);
	r->line = NULL;
	r->rec = NULL;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static int feed_fd(struct ih_records_reader *r, int fd)
{
	char buf[16384];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		int ret;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		ret = ih_records_feed(r, buf, (size_t)n);
		if (ret < 0)
			return ret;
	}
}

int ih_records_read_file(const char *path, bool missing_ok, ih_record_fn fn, void *ctx,
			 struct ih_records_stats *ret_stats)
{
	__attribute__((cleanup(close_fd))) int fd =
		open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct ih_records_reader r;
	struct stat st;
	int ret;

	memset(ret_stats, 0, sizeof(*ret_stats));
	if (fd < 0)
		return errno == ENOENT && missing_ok ? 0 : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	ret = ih_records_reader_init(&r, fn, ctx);
	if (ret < 0)
		return ret;
	ret = feed_fd(&r, fd);
	ih_records_finish(&r, ret_stats);
	return ret;
}

/* Cuts the file after its last newline when what follows is at most one line long. */
static int cut_torn_tail(int fd, off_t size, size_t *ret_cut)
{
	char buf[4096];
	off_t end = size, keep = 0;

	while (end > 0 && keep == 0 && size - end <= IH_RECORD_LINE_MAX) {
		size_t n = end < (off_t)sizeof(buf) ? (size_t)end : sizeof(buf);
		off_t at = end - (off_t)n;

		if (pread(fd, buf, n, at) != (ssize_t)n)
			return -EIO;
		for (size_t i = n; i > 0 && keep == 0; i--)
			if (buf[i - 1] == '\n')
				keep = at + (off_t)i;
		end = at;
	}
	if (size - keep > IH_RECORD_LINE_MAX)
		return -EINVAL;
	if (keep < size && ftruncate(fd, keep) < 0)
		return -errno;
	*ret_cut = (size_t)(size - keep);
	return 0;
}

int ih_records_open(const char *path, int *ret_fd, size_t *ret_cut_bytes)
{
	__attribute__((cleanup(close_fd))) int fd =
		open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0644);
	struct stat st;
	size_t cut = 0;
	int ret;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	ret = cut_torn_tail(fd, st.st_size, &cut);
	if (ret < 0)
		return ret;
	*ret_fd = fd;
	*ret_cut_bytes = cut;
	fd = -1;
	return 0;
}

int ih_records_append(int fd, const char *line, size_t len)
{
	ssize_t n;

	if (len == 0 || line[len - 1] != '\n')
		return -EINVAL;
	do
		n = write(fd, line, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}
