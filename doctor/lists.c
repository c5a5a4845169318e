/*
 * The doctor's list checks, one result per entry of their data file: every token of
 * kernel/cmdline is on the running kernel's command line, every sysctl of guest/init/sysctl.conf
 * holds its value.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "cleanup.h"
#include "doctor.h"
#include "guest/init/sysctl.h"

#define CMDLINE_MAX 4096
#define TOKEN_MAX 256
#define LINE_MAX_LEN 512

/* 1 when the whitespace-separated list text holds token exactly. */
static int has_token(const char *text, const char *token)
{
	size_t n = strlen(token);
	const char *p = text;

	while (*(p += strspn(p, " \t\n"))) {
		size_t len = strcspn(p, " \t\n");

		if (len == n && !strncmp(p, token, n))
			return 1;
		p += len;
	}
	return 0;
}

/* Copies the next line of *text (without its newline) into buf; 0 at the end, -E2BIG. */
static int next_line(const char **text, char *buf, size_t len)
{
	size_t n = strcspn(*text, "\n");

	if (!**text)
		return 0;
	if (n >= len)
		return -E2BIG;
	memcpy(buf, *text, n);
	buf[n] = '\0';
	*text += n + ((*text)[n] == '\n');
	return 1;
}

/*
 * Reports each token of one kernel/cmdline line. Its reason is the line's own comment, or
 * else the comment line just above it (kept in *reason).
 */
static int cmdline_line(char *line, char *reason, size_t rlen, const char *actual,
			ih_report_fn report, void *arg)
{
	char *hash = strchr(line, '#');
	const char *why = reason[0] ? reason : "listed in kernel/cmdline";
	char name[TOKEN_MAX + 16];
	char *save = NULL, *tok;
	int failed = 0;

	if (hash) {
		*hash = '\0';
		if (line[strspn(line, " \t")] == '\0') {
			snprintf(reason, rlen, "%s", hash + 1 + strspn(hash + 1, " \t"));
			return 0;
		}
		why = hash + 1 + strspn(hash + 1, " \t");
	}
	if (line[strspn(line, " \t")] == '\0')
		reason[0] = '\0';
	for (tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		int ok = has_token(actual, tok);

		snprintf(name, sizeof(name), "cmdline has %.*s", TOKEN_MAX, tok);
		report(arg, name, why, ok ? IH_PASS : IH_FAIL,
		       ok ? "in /proc/cmdline" : "missing from /proc/cmdline");
		failed += !ok;
	}
	return failed;
}

int ih_doctor_cmdline(const struct ih_doctor *d, ih_report_fn report, void *arg)
{
	const char *exp = d->cmdline_expected ? d->cmdline_expected : "";
	char actual[CMDLINE_MAX], line[LINE_MAX_LEN], reason[LINE_MAX_LEN] = "";
	ssize_t n = ih_read_text(d, "/proc/cmdline", actual, sizeof(actual));
	int failed = 0, r, tokens = 0;

	if (n < 0) {
		report(arg, "cmdline readable", "the boot parameters carry hardening", IH_FAIL,
		       "cannot read /proc/cmdline");
		return 1;
	}
	while ((r = next_line(&exp, line, sizeof(line))) > 0) {
		char *hash = strchr(line, '#');
		size_t body = hash ? (size_t)(hash - line) : strlen(line);

		tokens += strspn(line, " \t") < body;
		failed += cmdline_line(line, reason, sizeof(reason), actual, report, arg);
	}
	if (r < 0 || tokens == 0) {
		report(arg, "expected cmdline embedded", "the doctor checks kernel/cmdline",
		       IH_FAIL, r < 0 ? "kernel/cmdline has an overlong line" : "no tokens");
		failed++;
	}
	return failed;
}

/* The reason of a sysctl.conf entry: the text after its three words. */
static const char *sysctl_reason(const char *line)
{
	const char *p = line;

	for (int i = 0; i < 3; i++) {
		p += strspn(p, " \t");
		p += strcspn(p, " \t");
	}
	return p + strspn(p, " \t");
}

/* Checks one parsed sysctl entry against <root>/proc/sys. */
static int sysctl_one(const struct ih_doctor *d, const struct ih_sysctl *s, const char *reason,
		      ih_report_fn report, void *arg)
{
	char path[PATH_MAX], val[64], name[IH_SYSCTL_NAME_MAX + IH_SYSCTL_VALUE_MAX + 16];
	char detail[IH_DETAIL_MAX];
	ssize_t n;
	int i;

	i = snprintf(path, sizeof(path), "/proc/sys/%s", s->name);
	for (char *c = path + strlen("/proc/sys/"); *c; c++)
		if (*c == '.')
			*c = '/';
	snprintf(name, sizeof(name), "sysctl %s = %s", s->name, s->value);
	n = i < (int)sizeof(path) ? ih_read_text(d, path, val, sizeof(val)) : -ENAMETOOLONG;
	if (n == -ENOENT && !s->required) {
		report(arg, name, reason, IH_SKIP, "not in this kernel (feature compiled out)");
		return 0;
	}
	if (n < 0) {
		snprintf(detail, sizeof(detail), "cannot read %.160s (%s)", path,
			 ih_errname((int)-n));
		report(arg, name, reason, IH_FAIL, detail);
		return 1;
	}
	val[strcspn(val, "\n")] = '\0';
	snprintf(detail, sizeof(detail), "%s = %s", s->name, val);
	report(arg, name, reason, strcmp(val, s->value) ? IH_FAIL : IH_PASS, detail);
	return strcmp(val, s->value) != 0;
}

int ih_doctor_sysctls(const struct ih_doctor *d, ih_report_fn report, void *arg)
{
	const char *conf = d->sysctl_expected ? d->sysctl_expected : "";
	char line[LINE_MAX_LEN];
	struct ih_sysctl s;
	int failed = 0, entries = 0, r;

	while ((r = next_line(&conf, line, sizeof(line))) > 0) {
		r = ih_sysctl_parse_line(line, &s);
		if (r < 0)
			break;
		if (r == 0)
			continue;
		entries++;
		failed += sysctl_one(d, &s, sysctl_reason(line), report, arg);
	}
	if (r < 0 || entries == 0) {
		report(arg, "sysctl table embedded", "the doctor checks guest/init/sysctl.conf",
		       IH_FAIL,
		       r < 0 ? "guest/init/sysctl.conf has a malformed line" : "no entries");
		failed++;
	}
	return failed;
}
