# `ih-vm doctor`: the guest run (cmd_doctor.c relays the TAP, doctor_tap.c checks it) and
# the --host checks (doctor_host.c). The VM's life (host/vm*.c) and QEMU (host/qemu.c,
# host/accel.c) are listed by their own fragments, host/vm.mk and host/qemu.mk.
IHVM_SRCS += host/doctor_host.c host/doctor_tap.c

# Unit tests (include flags from doctor/doctor.mk): the TAP relay against a hostile guest,
# the host checks against a fake host.
DOCTOR_HOST_TEST_SRCS := tests/doctor/host_test.c host/doctor_tap.c host/doctor_host.c \
	host/accel.c host/jail_doctor.c host/jail.c host/jail_cgroup.c host/jail_landlock.c \
	host/jail_measure.c host/jail_mount.c
$(HOSTOUT)/tests/doctor/host_test: $(patsubst %.c,$(HOSTOUT)/%.o,$(DOCTOR_HOST_TEST_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^
$(ASANOUT)/tests/doctor/host_test: $(patsubst %.c,$(ASANOUT)/%.o,$(DOCTOR_HOST_TEST_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^
UNIT_TESTS += $(HOSTOUT)/tests/doctor/host_test $(ASANOUT)/tests/doctor/host_test
