# The VMM jail: confines every QEMU the launcher starts. jail.c forks and applies the layers
# in order, jail_mount.c the private /tmp and /dev, jail_landlock.c the Landlock rules (the
# paths QEMU reads are data: jail_ro_paths.def), jail_cgroup.c the per-VM cgroup v2 leaf,
# jail_measure.c reads what is in force from /proc; jail_qemu.c and jail_vm.c connect it to
# the launcher (--jail, --cgroup-root). host/jail/ may call host/qemu/ (the spawn hook and
# the image's file names) and nothing else of host/.
# Tests: a small helper jailed (unit, also under ASan+UBSan), a real QEMU under TCG, the guest
# booted and an image decoded jailed (VM tests); the bench: cold start, jailed vs --jail=off.
JAIL_SRCS := host/jail/jail.c host/jail/jail_cgroup.c host/jail/jail_landlock.c \
	host/jail/jail_measure.c host/jail/jail_qemu.c host/jail/jail_mount.c host/jail/jail_vm.c
IHVM_SRCS += $(JAIL_SRCS)
DEB_PKGS += qemu-system-x86 libc6-dev netpbm

# jail_qemu.c uses qemu.c's image naming (qemu.c itself needs only libc); test_jail also checks
# the doctor's line about the jail (host/doctor/jail_doctor.c).
JAIL_HOST_OBJS := $(patsubst %.c,$(HOSTOUT)/%.o,$(JAIL_SRCS) host/qemu/qemu.c host/doctor/jail_doctor.c)
JAIL_ASAN_OBJS := $(patsubst %.c,$(ASANOUT)/%.o,$(JAIL_SRCS) host/qemu/qemu.c host/doctor/jail_doctor.c)
JAIL_TESTS_CFLAGS := -Itests -Itests/jail

# The helper runs inside the jail, so it is never sanitized (ASan cannot live under RLIMIT_AS).
$(HOSTOUT)/tests/jail/jail_helper: tests/jail/jail_helper.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) $(LDFLAGS_HOST) -o $@ $<
$(ASANOUT)/tests/jail/jail_helper: $(HOSTOUT)/tests/jail/jail_helper
	@mkdir -p $(@D)
	cp $< $@

$(HOSTOUT)/tests/jail/%: tests/jail/%.c $(JAIL_HOST_OBJS) $(HOSTOUT)/tests/jail/jail_helper
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) $(JAIL_TESTS_CFLAGS) $(LDFLAGS_HOST) -o $@ $< $(JAIL_HOST_OBJS)
$(ASANOUT)/tests/jail/%: tests/jail/%.c $(JAIL_ASAN_OBJS) $(ASANOUT)/tests/jail/jail_helper
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ASAN) $(JAIL_TESTS_CFLAGS) $(LDFLAGS_ASAN) -o $@ $< $(JAIL_ASAN_OBJS)

$(HOSTOUT)/tests/bench_jail: tests/bench_jail.c $(JAIL_HOST_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) $(JAIL_TESTS_CFLAGS) $(LDFLAGS_HOST) -o $@ $< $(JAIL_HOST_OBJS)

UNIT_TESTS += $(HOSTOUT)/tests/jail/test_jail $(ASANOUT)/tests/jail/test_jail
VM_TESTS += $(HOSTOUT)/tests/jail/test_jail_qemu
BENCHES += $(HOSTOUT)/tests/bench_jail
VM_TESTS += $(HOSTOUT)/tests/jail/test_jail_boot
VM_TESTS += tests/jail/decode.test
