/*
 * Choosing QEMU's accelerator: KVM only where it is real, else TCG.
 *
 * KVM is real when /dev/kvm opens read-write, the CPU flags in /proc/cpuinfo show vmx or
 * svm, and /sys/module/kvm_pvm is absent (a PVM host offers a /dev/kvm on which a stock
 * guest hangs). Every path is read below a sysroot ("" or "/" for this machine) so a test
 * can point the choice at a fake tree.
 */
#ifndef IH_HOST_ACCEL_H
#define IH_HOST_ACCEL_H

#include <stdbool.h>

enum ih_accel_want {
	IH_ACCEL_WANT_AUTO = 0, /* KVM when it is real, else TCG */
	IH_ACCEL_WANT_KVM, /* KVM or fail */
	IH_ACCEL_WANT_TCG, /* always TCG */
};

/* Why KVM is or is not usable, for the one line the caller prints. */
enum ih_kvm_state {
	IH_KVM_USABLE = 0,
	IH_KVM_NO_DEVICE, /* /dev/kvm missing or not openable read-write */
	IH_KVM_NO_VIRT_FLAGS, /* /proc/cpuinfo shows neither vmx nor svm */
	IH_KVM_PVM, /* /sys/module/kvm_pvm present */
};

/* Checks KVM below sysroot. Never fails: an unreadable file counts as "not usable". */
enum ih_kvm_state ih_kvm_probe(const char *sysroot);

/* A short text for a state, e.g. "no vmx or svm in /proc/cpuinfo". */
const char *ih_kvm_state_str(enum ih_kvm_state state);

/*
 * Picks the accelerator for want: 0 with *ret_kvm set, or -ENODEV when want is KVM and
 * KVM is not usable (*ret_state says why; ret_state may be NULL).
 */
int ih_accel_choose(const char *sysroot, enum ih_accel_want want, bool *ret_kvm,
		    enum ih_kvm_state *ret_state);

/* Parses "auto", "kvm" or "tcg": 0, or -EINVAL. */
int ih_accel_parse(const char *text, enum ih_accel_want *ret_want);

#endif
