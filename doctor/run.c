/* Runs every check of the doctor in a fixed order and hands each result to the caller. */
#define _GNU_SOURCE
#include "doctor.h"

static int run_table(const struct ih_doctor *d, const struct ih_check *checks, size_t count,
		     ih_report_fn report, void *arg)
{
	char detail[IH_DETAIL_MAX];
	int failed = 0;

	for (size_t i = 0; i < count; i++) {
		enum ih_verdict v;

		detail[0] = '\0';
		v = checks[i].fn(d, detail, sizeof(detail));
		report(arg, checks[i].name, checks[i].reason, v, detail);
		failed += v == IH_FAIL;
	}
	return failed;
}

int ih_doctor_run(const struct ih_doctor *d, ih_report_fn report, void *arg)
{
	int failed = 0;

	failed += run_table(d, ih_checks_kernel, ih_checks_kernel_count, report, arg);
	failed += ih_doctor_cmdline(d, report, arg);
	failed += ih_doctor_sysctls(d, report, arg);
	failed += run_table(d, ih_checks_fs, ih_checks_fs_count, report, arg);
	if (d->sandbox)
		failed += d->sandbox(d, report, arg);
	return failed;
}
