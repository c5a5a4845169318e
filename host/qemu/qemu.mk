# QEMU (host/qemu/): the guest's architecture and image files, the accelerator choice, the
# QEMU command line and its supervised run. A leaf: it calls nothing else of host/ (the jail
# plugs in through the spawn hook of qemu.h). Unit tests (also under ASan+UBSan), the boot
# VM tests (`ih-vm boot`) and the boot time benchmark.

DEB_PKGS += qemu-system-x86
IHVM_SRCS += host/qemu/qemu.c host/qemu/accel.c

# Unit tests: no VM. Each is built twice, hardened and under ASan+UBSan.
BOOT_UNIT := accel_test qemu_argv_test qemu_run_test
UNIT_TESTS += $(foreach t,$(BOOT_UNIT),$(HOSTOUT)/tests/boot/$(t) $(ASANOUT)/tests/boot/$(t))

$(HOSTOUT)/tests/boot/accel_test: $(HOSTOUT)/tests/boot/accel_test.o $(HOSTOUT)/host/qemu/accel.o
	$(CC) $(LDFLAGS_HOST) -o $@ $^
$(ASANOUT)/tests/boot/accel_test: $(ASANOUT)/tests/boot/accel_test.o $(ASANOUT)/host/qemu/accel.o
	$(CC) $(LDFLAGS_ASAN) -o $@ $^
$(HOSTOUT)/tests/boot/qemu_argv_test: $(HOSTOUT)/tests/boot/qemu_argv_test.o \
		$(HOSTOUT)/host/qemu/qemu.o
	$(CC) $(LDFLAGS_HOST) -o $@ $^
$(ASANOUT)/tests/boot/qemu_argv_test: $(ASANOUT)/tests/boot/qemu_argv_test.o \
		$(ASANOUT)/host/qemu/qemu.o
	$(CC) $(LDFLAGS_ASAN) -o $@ $^

$(HOSTOUT)/tests/boot/qemu_run_test: $(HOSTOUT)/tests/boot/qemu_run_test.o \
		$(HOSTOUT)/host/qemu/qemu.o
	$(CC) $(LDFLAGS_HOST) -o $@ $^
$(ASANOUT)/tests/boot/qemu_run_test: $(ASANOUT)/tests/boot/qemu_run_test.o \
		$(ASANOUT)/host/qemu/qemu.o
	$(CC) $(LDFLAGS_ASAN) -o $@ $^

# VM tests: boot the real image under a hard timeout.
VM_TESTS += tests/boot/boot.test tests/boot/incremental.test

# Boot time next to the floor (same kernel, do-nothing init).
BENCHES += $(HOSTOUT)/tests/bench_boot
$(HOSTOUT)/tests/bench_boot: $(HOSTOUT)/tests/bench_boot.o $(HOSTOUT)/host/qemu/qemu.o \
		$(HOSTOUT)/host/qemu/accel.o
	$(CC) $(LDFLAGS_HOST) -o $@ $^ -lm
