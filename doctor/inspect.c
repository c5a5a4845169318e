/*
 * The sandbox of a decoder child as the kernel reports it, read from outside through
 * <root>/proc/<pid>: what the child believes about itself does not count.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor.h"

#define STATUS_MAX 8192

static const char *const child_namespaces[] = { "mnt", "net", "ipc", "uts", "pid" };

/* Copies the value of "Field:\t..." in a /proc status text, up to the newline. */
static int status_field(const char *status, const char *field, char *buf, size_t len)
{
	size_t flen = strlen(field);
	const char *p = status;

	while (p && *p) {
		if (!strncmp(p, field, flen) && p[flen] == ':') {
			const char *v = p + flen + 1 + strspn(p + flen + 1, " \t");
			size_t n = strcspn(v, "\n");

			if (n >= len)
				return -E2BIG;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

/* 1 when field is a hex mask equal to zero. */
static int mask_is_zero(const char *status, const char *field)
{
	char v[32];
	char *end;

	if (status_field(status, field, v, sizeof(v)) < 0 || !v[0])
		return 0;
	errno = 0;
	return strtoull(v, &end, 16) == 0 && !errno && *end == '\0';
}

/* 1 when no id in a "Uid:" or "Gid:" line (real, effective, saved, fs) is 0. */
static int ids_unprivileged(const char *status, const char *field, char *buf, size_t len)
{
	char *p, *end;
	int n = 0;

	if (status_field(status, field, buf, len) < 0)
		return 0;
	for (p = buf; *(p += strspn(p, " \t")); p = end, n++) {
		unsigned long id;

		errno = 0;
		id = strtoul(p, &end, 10);
		if (errno || end == p || id == 0)
			return 0;
	}
	return n == 4;
}

static int ns_link(const struct ih_doctor *d, pid_t pid, const char *ns, char *buf, size_t len)
{
	char rel[64], p[PATH_MAX];
	ssize_t n;

	snprintf(rel, sizeof(rel), "/proc/%d/ns/%s", (int)pid, ns);
	if (ih_path(d, rel, p, sizeof(p)) < 0)
		return -ENAMETOOLONG;
	n = readlink(p, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Every namespace in child_namespaces differs from ref_pid's; detail names the first not. */
static int namespaces_own(const struct ih_doctor *d, pid_t pid, pid_t ref_pid, char *detail,
			  size_t len)
{
	char mine[64], ref[64];

	for (size_t i = 0; i < sizeof(child_namespaces) / sizeof(child_namespaces[0]); i++) {
		const char *ns = child_namespaces[i];
		int r = ns_link(d, pid, ns, mine, sizeof(mine));

		if (r == 0)
			r = ns_link(d, ref_pid, ns, ref, sizeof(ref));
		if (r < 0) {
			snprintf(detail, len, "cannot read ns/%s (%s)", ns, ih_errname(-r));
			return 0;
		}
		if (!strcmp(mine, ref)) {
			snprintf(detail, len, "shares %s with pid %d", mine, (int)ref_pid);
			return 0;
		}
	}
	snprintf(detail, len, "own mnt, net, ipc, uts and pid namespaces");
	return 1;
}

/* The limits a decoder child must run under, as /proc/<pid>/limits names them. */
static const struct {
	const char *name;
	const char *soft; /* the soft limit shown, or NULL for "anything but unlimited" */
} child_limits[] = {
	{ "Max file size", "0" }, /* it writes no file */
	{ "Max core file size", "0" }, /* a crash leaves no image data behind */
	{ "Max processes", "0" }, /* it starts no process or thread */
	{ "Max locked memory", "0" },  { "Max msgqueue size", "0" },
	{ "Max address space", NULL }, /* a memory bomb hits the limit, not the guest */
	{ "Max cpu time", NULL }, /* a scan bomb is stopped by the kernel */
};

/* The soft limit of the line starting with name in a /proc limits text, or "". */
static void limit_soft(const char *limits, const char *name, char *buf, size_t len)
{
	const char *p = limits;
	size_t n = strlen(name);

	buf[0] = '\0';
	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, name, n) || (p[n] != ' ' && p[n] != '\t'))
			continue;
		p += n + strspn(p + n, " \t");
		n = strcspn(p, " \t\n");
		if (n < len) {
			memcpy(buf, p, n);
			buf[n] = '\0';
		}
		return;
	}
}

/* Every limit of child_limits holds; detail names the first that does not. */
static int limits_ok(const char *limits, char *detail, size_t len)
{
	char soft[32];

	for (size_t i = 0; i < sizeof(child_limits) / sizeof(child_limits[0]); i++) {
		limit_soft(limits, child_limits[i].name, soft, sizeof(soft));
		if (child_limits[i].soft ? strcmp(soft, child_limits[i].soft)
					 : (!soft[0] || !strcmp(soft, "unlimited"))) {
			snprintf(detail, len, "%s is '%s'", child_limits[i].name, soft);
			return 0;
		}
	}
	snprintf(detail, len, "no files, cores, processes; bounded memory and CPU time");
	return 1;
}

/*
 * A non-dumpable process's /proc files (not its /proc/<pid> directory) belong to root
 * whatever its uid: with an unprivileged euid, a root-owned /proc/<pid>/status shows
 * PR_SET_DUMPABLE 0.
 */
static enum ih_verdict not_dumpable(const struct ih_doctor *d, pid_t pid, const char *status,
				    char *detail, size_t len)
{
	char rel[40], p[PATH_MAX], ids[64];
	unsigned long ruid, euid;
	struct stat st;

	if (status_field(status, "Uid", ids, sizeof(ids)) < 0 ||
	    sscanf(ids, "%lu %lu", &ruid, &euid) != 2)
		return ih_verdictf(IH_FAIL, detail, len, "no Uid line");
	if (euid == 0)
		return ih_verdictf(IH_SKIP, detail, len, "runs as root: ownership tells nothing");
	snprintf(rel, sizeof(rel), "/proc/%d/status", (int)pid);
	if (ih_path(d, rel, p, sizeof(p)) < 0 || stat(p, &st) < 0)
		return ih_verdictf(IH_FAIL, detail, len, "cannot stat %s", rel);
	if (st.st_uid != 0)
		return ih_verdictf(IH_FAIL, detail, len, "%s owned by uid %lu: dumpable", rel,
				   (unsigned long)st.st_uid);
	return ih_verdictf(IH_PASS, detail, len, "%s owned by root, euid %lu", rel, euid);
}

struct results {
	ih_report_fn report;
	void *arg;
	int failed;
};

static void result(struct results *res, const char *name, const char *reason, int ok,
		   const char *detail)
{
	res->report(res->arg, name, reason, ok ? IH_PASS : IH_FAIL, detail);
	res->failed += !ok;
}

/* The value of a status field, or "" when the field is missing. */
static const char *field(const char *status, const char *name, char *buf, size_t len)
{
	if (status_field(status, name, buf, len) < 0)
		buf[0] = '\0';
	return buf;
}

/* The lines of the child's status that the checks read, shown as the detail. */
static void status_results(struct results *res, const char *status)
{
	char v[64], ids[128], caps[160], eff[32], prm[32], bnd[32];

	field(status, "Seccomp", v, sizeof(v));
	result(res, "decoder child: seccomp filter mode",
	       "only the decoder's syscalls reach the kernel", !strcmp(v, "2"), v);
	field(status, "NoNewPrivs", v, sizeof(v));
	result(res, "decoder child: no_new_privs", "execve can never raise its privileges",
	       !strcmp(v, "1"), v);
	snprintf(caps, sizeof(caps), "CapEff %s CapPrm %s CapBnd %s",
		 field(status, "CapEff", eff, sizeof(eff)),
		 field(status, "CapPrm", prm, sizeof(prm)),
		 field(status, "CapBnd", bnd, sizeof(bnd)));
	result(res, "decoder child: no capabilities", "CapEff, CapPrm and CapBnd all empty",
	       mask_is_zero(status, "CapEff") && mask_is_zero(status, "CapPrm") &&
		       mask_is_zero(status, "CapBnd"),
	       caps);
	field(status, "Uid", ids, sizeof(ids));
	result(res, "decoder child: unprivileged uid and gid", "root's files stay out of reach",
	       ids_unprivileged(status, "Uid", v, sizeof(v)) &&
		       ids_unprivileged(status, "Gid", v, sizeof(v)),
	       ids);
}

int ih_doctor_inspect_child(const struct ih_doctor *d, pid_t pid, pid_t ref_pid, int landlock_errno,
			    ih_report_fn report, void *arg)
{
	struct results res = { .report = report, .arg = arg };
	char status[STATUS_MAX], limits[STATUS_MAX], rel[64], detail[IH_DETAIL_MAX];
	enum ih_verdict v;
	ssize_t n;
	int ok;

	snprintf(rel, sizeof(rel), "/proc/%d/status", (int)pid);
	n = ih_read_text(d, rel, status, sizeof(status));
	if (n < 0) {
		snprintf(detail, sizeof(detail), "cannot read %s (%s)", rel, ih_errname((int)-n));
		result(&res, "decoder child: status readable", "the checks below read it", 0,
		       detail);
		return res.failed;
	}
	status_results(&res, status);
	snprintf(rel, sizeof(rel), "/proc/%d/limits", (int)pid);
	n = ih_read_text(d, rel, limits, sizeof(limits));
	ok = n >= 0 && limits_ok(limits, detail, sizeof(detail));
	if (n < 0)
		snprintf(detail, sizeof(detail), "cannot read %s", rel);
	result(&res, "decoder child: resource limits", "a bomb stops at a limit, not at the guest",
	       ok, detail);
	v = not_dumpable(d, pid, status, detail, sizeof(detail));
	report(arg, "decoder child: not dumpable", "no core, no ptrace, no /proc peeking at it", v,
	       detail);
	res.failed += v == IH_FAIL;
	ok = namespaces_own(d, pid, ref_pid, detail, sizeof(detail));
	result(&res, "decoder child: own namespaces", "no view of the guest's processes, mounts",
	       ok, detail);
	snprintf(detail, sizeof(detail), "open() in the child: %s",
		 landlock_errno ? ih_errname(landlock_errno) : "succeeded");
	result(&res, "decoder child: landlock denies file access",
	       "a seccomp hole still leaves the files shut", landlock_errno == EACCES, detail);
	return res.failed;
}
