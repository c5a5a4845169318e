/*
 * The guest's sysctl table and its applier, against a scratch /proc/sys tree: the real table
 * parses, values are written and read back, an absent optional sysctl is reported once, and
 * an absent required one, one that cannot be written and one that does not keep its value
 * each stop the init.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "guest/init/sysctl.h"
#include "sysctl_conf.h"

static char root[64];
static int absent_calls;

static void on_absent(const struct ih_sysctl *s)
{
	(void)s;
	absent_calls++;
}

static void put(const char *rel, const char *content)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (!f || fputs(content, f) < 0 || fclose(f) != 0)
		abort();
}

static void get(const char *rel, char *out, size_t n)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	out[0] = '\0';
	if (f) {
		if (!fgets(out, (int)n, f))
			out[0] = '\0';
		fclose(f);
	}
	out[strcspn(out, "\n")] = '\0';
}

static void make_tree(void)
{
	char path[256];

	strcpy(root, "/tmp/ih-sysctl-test.XXXXXX");
	if (!mkdtemp(root))
		abort();
	snprintf(path, sizeof(path), "%s/kernel", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/fs", root);
	mkdir(path, 0755);
	put("kernel/kptr_restrict", "0\n");
	put("fs/protected_fifos", "0\n");
}

static void test_table_parses(void)
{
	const char *line = ih_sysctl_conf;
	int entries = 0, bad = 0;

	while (*line) {
		size_t len = strcspn(line, "\n");
		char buf[256];
		struct ih_sysctl s;

		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		int r = ih_sysctl_parse_line(buf, &s);
		entries += r > 0;
		bad += r < 0;
		line += len + (line[len] == '\n');
	}
	tap_ok(bad == 0 && entries >= 10, "guest/init/sysctl.conf parses: %d entries, %d bad",
	       entries, bad);
}

static void test_parse_rejects(void)
{
	struct ih_sysctl s;

	tap_ok(ih_sysctl_parse_line("kernel.kptr_restrict 2 required", &s) == -EINVAL,
	       "an entry without its reason is refused");
	tap_ok(ih_sysctl_parse_line("kernel/../../etc/passwd 2 required why", &s) == -EINVAL,
	       "a name that walks out of /proc/sys is refused");
	tap_ok(ih_sysctl_parse_line("kernel.x 2 maybe why", &s) == -EINVAL,
	       "an unknown NEED word is refused");
	tap_ok(ih_sysctl_parse_line("kernel.x 2;reboot required why", &s) == -EINVAL,
	       "a value that is not a number is refused");
	tap_ok(ih_sysctl_parse_line("  # comment", &s) == 0, "a comment is skipped");
}

static void test_apply(void)
{
	const char *conf = "kernel.kptr_restrict 2 required r\n"
			   "fs.protected_fifos 2 required r\n"
			   "kernel.yama.ptrace_scope 3 if-present r\n";
	struct ih_sysctl failed;
	char v[32];
	int r;

	absent_calls = 0;
	r = ih_sysctl_apply(conf, root, on_absent, &failed);
	get("kernel/kptr_restrict", v, sizeof(v));
	tap_ok(r == 0 && !strcmp(v, "2"), "values are written (kptr_restrict now '%s', r=%d)", v,
	       r);
	tap_ok(absent_calls == 1, "an absent if-present sysctl is reported once (%d)",
	       absent_calls);
}

static void test_failures(void)
{
	struct ih_sysctl failed = { .required = false };
	char path[256];
	int r;

	r = ih_sysctl_apply("kernel.dmesg_restrict 1 required r\n", root, on_absent, &failed);
	tap_ok(r == -ENOENT && !strcmp(failed.name, "kernel.dmesg_restrict"),
	       "an absent required sysctl is fatal and named (r=%d)", r);

	snprintf(path, sizeof(path), "%s/kernel/perf_event_paranoid", root);
	mkdir(path, 0755);
	r = ih_sysctl_apply("kernel.perf_event_paranoid 3 if-present r\n", root, on_absent,
			    &failed);
	tap_ok(r < 0 && !strcmp(failed.name, "kernel.perf_event_paranoid"),
	       "a present if-present sysctl that cannot be written is fatal (r=%d)", r);

	/* A value that does not stick: /dev/null takes the write and reads back empty. */
	snprintf(path, sizeof(path), "%s/kernel/randomize_va_space", root);
	if (symlink("/dev/null", path) < 0)
		abort();
	r = ih_sysctl_apply("kernel.randomize_va_space 2 required r\n", root, on_absent, &failed);
	tap_ok(r == -EIO, "a value that does not read back is fatal (r=%d)", r);
	unlink(path);
	snprintf(path, sizeof(path), "%s/kernel/perf_event_paranoid", root);
	rmdir(path);
}

static void clean_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", root);
}

int main(void)
{
	make_tree();
	test_table_parses();
	test_parse_rejects();
	test_apply();
	test_failures();
	clean_tree();
	return tap_done();
}
