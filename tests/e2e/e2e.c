/* Helpers of the end-to-end tests (e2e.h). */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"
#include "host/qemu/qemu.h"

/* What an image directory must hold besides its kernel (named by host/qemu/qemu.c). */
static const char *const image_files[] = { "initramfs.cpio.gz", "rootfs.squashfs", "cmdline" };

/* Links every file of the built image directory src into e->image. */
static int link_image(const struct e2e *e, const char *src)
{
	char from[4096], to[512];
	struct dirent *de;
	DIR *d = opendir(src);
	int r = 0;

	if (!d)
		return -errno;
	while (r == 0 && (de = readdir(d))) {
		char *real;

		if (de->d_type != DT_REG)
			continue;
		snprintf(from, sizeof(from), "%s/%s", src, de->d_name);
		snprintf(to, sizeof(to), "%s/%s", e->image, de->d_name);
		real = realpath(from, NULL);
		if (!real || symlink(real, to) < 0)
			r = -errno;
		free(real);
	}
	closedir(d);
	return r;
}

int e2e_begin(struct e2e *e)
{
	const char *src = getenv("E2E_IMAGE_SRC");
	enum ih_arch arch = ih_arch_native();
	char from[4096], dflt[64];

	/* The launcher boots $IH_ARCH's image when set: the same one is checked here. */
	if (getenv("IH_ARCH") && ih_arch_parse(getenv("IH_ARCH"), &arch) < 0)
		arch = ih_arch_native();
	snprintf(dflt, sizeof(dflt), "build/%s", ih_arch_name(arch));
	src = src ? src : dflt;
	e->ihvm = getenv("IHVM") ? getenv("IHVM") : "build/host/ih-vm";
	if (access(e->ihvm, X_OK) < 0) {
		printf("ok 1 - # SKIP %s is not built\n1..1\n", e->ihvm);
		return 1;
	}
	for (size_t i = 0; i < sizeof(image_files) / sizeof(image_files[0]); i++) {
		snprintf(from, sizeof(from), "%s/%s", src, image_files[i]);
		if (access(from, R_OK) < 0) {
			printf("ok 1 - # SKIP guest image not built (%s)\n1..1\n", from);
			return 1;
		}
	}
	strcpy(e->tmp, "/tmp/ih-e2e.XXXXXX");
	if (!mkdtemp(e->tmp))
		return -errno;
	snprintf(e->image, sizeof(e->image), "%s/image", e->tmp);
	if (mkdir(e->image, 0755) < 0 || link_image(e, src) < 0)
		return -errno ? -errno : -EIO;
	setenv("IH_IMAGE_DIR", e->image, 1);
	return 0;
}

/* The pids of QEMUs holding e->image in their command line, up to n; returns the count. */
static int find_qemus(const struct e2e *e, pid_t *pids, int n)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int found = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[300], cmd[8192];
		size_t len;
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		len = fread(cmd, 1, sizeof(cmd) - 1, f);
		fclose(f);
		for (size_t i = 0; i < len; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		cmd[len] = '\0';
		if (strstr(cmd, "qemu-system") && strstr(cmd, e->image)) {
			if (found < n)
				pids[found] = (pid_t)atoi(de->d_name);
			found++;
		}
	}
	closedir(d);
	return found;
}

int e2e_qemus(const struct e2e *e)
{
	pid_t pids[16];

	return find_qemus(e, pids, 16);
}

pid_t e2e_qemu_pid(const struct e2e *e)
{
	pid_t pids[16];

	return find_qemus(e, pids, 16) > 0 ? pids[0] : 0;
}

int e2e_no_qemu_left(const struct e2e *e)
{
	const struct timespec tick = { .tv_nsec = 100 * 1000 * 1000 };

	for (int i = 0; i < 20; i++) {
		if (e2e_qemus(e) == 0)
			return 1;
		nanosleep(&tick, NULL);
	}
	return 0;
}

void e2e_end(struct e2e *e)
{
	pid_t pids[16];
	int n = find_qemus(e, pids, 16);
	char cmd[128];

	for (int i = 0; i < n && i < 16; i++)
		kill(pids[i], SIGKILL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->tmp);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", e->tmp);
}

pid_t e2e_start(const char *const argv[], const char *out_path, const char *err_path,
		unsigned int timeout_s)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (out < 0 || err < 0 || null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
		    dup2(err, 2) < 0)
			_exit(126);
		alarm(timeout_s);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

int e2e_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int e2e_run(const char *const argv[], const char *out_path, const char *err_path,
	    unsigned int timeout_s)
{
	pid_t pid = e2e_start(argv, out_path, err_path, timeout_s);

	return pid < 0 ? pid : e2e_wait(pid);
}

char *e2e_slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	size_t cap = 4096, len = 0, n;
	char *buf = malloc(cap + 1);

	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			char *bigger = realloc(buf, cap * 2 + 1);

			if (!bigger) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	return buf;
}

int e2e_json_get(const char *record, const char *key, char *buf, size_t len)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(record, pat);
	if (!p)
		return -ENOENT;
	p += strlen(pat);
	p += strspn(p, " :");
	if (*p == '"') {
		for (p++; *p && *p != '"' && n + 1 < len; p++) {
			if (*p == '\\' && p[1])
				p++;
			buf[n++] = *p;
		}
	} else {
		while (*p && !strchr(",}\n", *p) && n + 1 < len)
			buf[n++] = *p++;
	}
	buf[n] = '\0';
	return 0;
}

int e2e_json_record(const char *json, const char *file, char *buf, size_t len)
{
	const char *line = json;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		char rec[2048], value[1024];

		snprintf(rec, sizeof(rec), "%.*s", (int)n, line);
		if (e2e_json_get(rec, "file", value, sizeof(value)) == 0 && !strcmp(value, file)) {
			snprintf(buf, len, "%s", rec);
			return 0;
		}
		line = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

/* Reads the next header token of a netpbm file, skipping blanks and comments. */
static int next_token(const char **p, const char *end, char *tok, size_t len)
{
	size_t n = 0;

	for (;;) {
		while (*p < end && isspace((unsigned char)**p))
			(*p)++;
		if (*p < end && **p == '#') {
			while (*p < end && **p != '\n')
				(*p)++;
			continue;
		}
		break;
	}
	while (*p < end && !isspace((unsigned char)**p) && n + 1 < len)
		tok[n++] = *(*p)++;
	tok[n] = '\0';
	return n ? 0 : -EINVAL;
}

static int parse_pam_header(const char **p, const char *end, struct e2e_pixmap *m)
{
	char tok[64], val[64];

	while (next_token(p, end, tok, sizeof(tok)) == 0) {
		if (!strcmp(tok, "ENDHDR")) {
			(*p)++;
			return 0;
		}
		if (next_token(p, end, val, sizeof(val)) < 0)
			return -EINVAL;
		if (!strcmp(tok, "WIDTH"))
			m->width = (uint32_t)strtoul(val, NULL, 10);
		else if (!strcmp(tok, "HEIGHT"))
			m->height = (uint32_t)strtoul(val, NULL, 10);
		else if (!strcmp(tok, "DEPTH"))
			m->depth = (uint32_t)strtoul(val, NULL, 10);
		else if (!strcmp(tok, "MAXVAL") && strcmp(val, "255") && strcmp(val, "65535"))
			return -ENOTSUP;
		else if (!strcmp(tok, "MAXVAL"))
			m->bps = strcmp(val, "255") ? 2 : 1;
	}
	return -EINVAL;
}

static int parse_pnm_header(const char **p, const char *end, struct e2e_pixmap *m, int depth)
{
	char w[32], h[32], maxval[32];

	if (next_token(p, end, w, sizeof(w)) < 0 || next_token(p, end, h, sizeof(h)) < 0 ||
	    next_token(p, end, maxval, sizeof(maxval)) < 0)
		return -EINVAL;
	if (strcmp(maxval, "255") && strcmp(maxval, "65535"))
		return -ENOTSUP;
	m->bps = strcmp(maxval, "255") ? 2 : 1;
	m->width = (uint32_t)strtoul(w, NULL, 10);
	m->height = (uint32_t)strtoul(h, NULL, 10);
	m->depth = (uint32_t)depth;
	(*p)++;
	return 0;
}

int e2e_read_netpbm(const char *path, struct e2e_pixmap *ret)
{
	struct e2e_pixmap m = { 0 };
	size_t len, need;
	char *buf = e2e_slurp(path, &len);
	const char *p, *end;
	int r;

	if (!buf)
		return -errno ? -errno : -EIO;
	p = buf + 2;
	end = buf + len;
	if (len < 3)
		r = -EINVAL;
	else if (!strncmp(buf, "P7", 2))
		r = parse_pam_header(&p, end, &m);
	else if (!strncmp(buf, "P6", 2))
		r = parse_pnm_header(&p, end, &m, 3);
	else if (!strncmp(buf, "P5", 2))
		r = parse_pnm_header(&p, end, &m, 1);
	else
		r = -EINVAL;
	need = (size_t)m.width * m.height * m.depth * m.bps;
	if (r == 0 && (m.depth < 1 || m.depth > 4 || need == 0 || (size_t)(end - p) < need))
		r = -EINVAL;
	if (r == 0) {
		m.data = malloc(need);
		if (!m.data)
			r = -ENOMEM;
		else
			memcpy(m.data, p, need);
	}
	free(buf);
	if (r == 0)
		*ret = m;
	return r;
}

int e2e_same_pixels(const struct e2e_pixmap *a, const struct e2e_pixmap *b)
{
	size_t n = (size_t)a->width * a->height * a->depth * a->bps;

	return a->width == b->width && a->height == b->height && a->depth == b->depth &&
	       a->bps == b->bps && !memcmp(a->data, b->data, n);
}

int e2e_count(const char *haystack, const char *needle)
{
	int n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}
