# `ih-vm doctor` (host/doctor/): the TAP relay's checks of the guest's run (doctor_tap.c;
# host/cli/cmd_doctor.c boots the VM and relays) and the --host checks (doctor_host.c, the
# jail's in jail_doctor.c). May call host/jail/ and host/qemu/; nothing calls back into it
# but host/cli/.
IHVM_SRCS += host/doctor/doctor_host.c host/doctor/doctor_tap.c host/doctor/jail_doctor.c

# Unit tests (include flags from doctor/doctor.mk): the TAP relay against a hostile guest,
# the host checks against a fake host.
DOCTOR_HOST_TEST_SRCS := tests/doctor/host_test.c host/doctor/doctor_tap.c \
	host/doctor/doctor_host.c host/doctor/jail_doctor.c host/qemu/accel.c host/jail/jail.c \
	host/jail/jail_cgroup.c host/jail/jail_landlock.c host/jail/jail_measure.c \
	host/jail/jail_mount.c
$(HOSTOUT)/tests/doctor/host_test: $(patsubst %.c,$(HOSTOUT)/%.o,$(DOCTOR_HOST_TEST_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^
$(ASANOUT)/tests/doctor/host_test: $(patsubst %.c,$(ASANOUT)/%.o,$(DOCTOR_HOST_TEST_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^
UNIT_TESTS += $(HOSTOUT)/tests/doctor/host_test $(ASANOUT)/tests/doctor/host_test
