# arm64 tests (issue 5). The parity check needs no build; the image and VM tests skip with
# a reason when build/arm64 has no image (make image ARCH=arm64).
UNIT_TESTS += tests/arm64/config-parity

# The arm64 QEMU command line and the --arch choice (host/qemu.c), hardened and ASan+UBSan.
UNIT_TESTS += $(HOSTOUT)/tests/arm64/qemu_argv_test $(ASANOUT)/tests/arm64/qemu_argv_test
$(HOSTOUT)/tests/arm64/qemu_argv_test: $(HOSTOUT)/tests/arm64/qemu_argv_test.o \
		$(HOSTOUT)/host/qemu.o
	$(CC) $(LDFLAGS_HOST) -o $@ $^
$(ASANOUT)/tests/arm64/qemu_argv_test: $(ASANOUT)/tests/arm64/qemu_argv_test.o \
		$(ASANOUT)/host/qemu.o
	$(CC) $(LDFLAGS_ASAN) -o $@ $^

# The arm64 image and its boot under QEMU virt (skips without build/arm64).
VM_TESTS += tests/arm64/boot

# make bench: the arm64 boot time beside the x86_64 one (each image built with its ARCH).
BENCHES += $(HOSTOUT)/tests/bench_arm64
$(HOSTOUT)/tests/bench_arm64: $(HOSTOUT)/tests/bench_arm64.o $(HOSTOUT)/host/qemu.o \
		$(HOSTOUT)/host/accel.o
	$(CC) $(LDFLAGS_HOST) -o $@ $^

# The doctor and PNG/JPEG decodes in the arm64 guest, pixel-exact against the native decoder.
DEB_PKGS += netpbm libjpeg-turbo-progs
VM_TESTS += tests/arm64/decode
