/* Choosing QEMU's accelerator (accel.h): KVM only where it is real, else TCG. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "accel.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static void close_file(FILE **f)
{
	if (*f)
		fclose(*f);
}

/* Joins sysroot and an absolute path; "" and "/" mean this machine. */
static int sysroot_path(const char *sysroot, const char *path, char *out, size_t size)
{
	int n;

	if (!sysroot || !strcmp(sysroot, "/"))
		sysroot = "";
	n = snprintf(out, size, "%s%s", sysroot, path);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static bool kvm_device_opens(const char *sysroot)
{
	char path[PATH_MAX];
	__attribute__((cleanup(close_fd))) int fd = -1;

	if (sysroot_path(sysroot, "/dev/kvm", path, sizeof(path)) < 0)
		return false;
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd >= 0;
}

/* True when a "flags" line of cpuinfo holds the word vmx or svm. */
static bool cpu_has_virt_flags(const char *sysroot)
{
	char path[PATH_MAX], line[8192];
	__attribute__((cleanup(close_file))) FILE *f = NULL;

	if (sysroot_path(sysroot, "/proc/cpuinfo", path, sizeof(path)) < 0)
		return false;
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *save, *colon;

		if (strncmp(line, "flags", 5))
			continue;
		colon = strchr(line, ':');
		if (!colon)
			continue;
		for (char *w = strtok_r(colon + 1, " \t\n", &save); w;
		     w = strtok_r(NULL, " \t\n", &save))
			if (!strcmp(w, "vmx") || !strcmp(w, "svm"))
				return true;
	}
	return false;
}

static bool host_is_pvm(const char *sysroot)
{
	char path[PATH_MAX];

	if (sysroot_path(sysroot, "/sys/module/kvm_pvm", path, sizeof(path)) < 0)
		return true; /* cannot tell: assume the worst */
	return access(path, F_OK) == 0;
}

enum ih_kvm_state ih_kvm_probe(const char *sysroot)
{
	if (host_is_pvm(sysroot))
		return IH_KVM_PVM;
	if (!cpu_has_virt_flags(sysroot))
		return IH_KVM_NO_VIRT_FLAGS;
	if (!kvm_device_opens(sysroot))
		return IH_KVM_NO_DEVICE;
	return IH_KVM_USABLE;
}

const char *ih_kvm_state_str(enum ih_kvm_state state)
{
	switch (state) {
	case IH_KVM_USABLE:
		return "KVM usable";
	case IH_KVM_NO_DEVICE:
		return "/dev/kvm missing or not openable read-write";
	case IH_KVM_NO_VIRT_FLAGS:
		return "no vmx or svm in the CPU flags of /proc/cpuinfo";
	case IH_KVM_PVM:
		return "PVM host (/sys/module/kvm_pvm): a stock guest hangs under its KVM";
	}
	return "unknown";
}

int ih_accel_choose(const char *sysroot, enum ih_accel_want want, bool *ret_kvm,
		    enum ih_kvm_state *ret_state)
{
	enum ih_kvm_state state = IH_KVM_USABLE;

	if (want != IH_ACCEL_WANT_TCG)
		state = ih_kvm_probe(sysroot);
	if (ret_state)
		*ret_state = state;
	if (want == IH_ACCEL_WANT_KVM && state != IH_KVM_USABLE)
		return -ENODEV;
	*ret_kvm = want != IH_ACCEL_WANT_TCG && state == IH_KVM_USABLE;
	return 0;
}

int ih_accel_parse(const char *text, enum ih_accel_want *ret_want)
{
	static const struct {
		const char *name;
		enum ih_accel_want want;
	} names[] = {
		{ "auto", IH_ACCEL_WANT_AUTO },
		{ "kvm", IH_ACCEL_WANT_KVM },
		{ "tcg", IH_ACCEL_WANT_TCG },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(text, names[i].name)) {
			*ret_want = names[i].want;
			return 0;
		}
	}
	return -EINVAL;
}
