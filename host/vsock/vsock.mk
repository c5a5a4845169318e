# The vsock transport of the launcher (host/vsock/): the built-in vhost-user-vsock backend
# (vhost-user server, guest memory map, virtqueues, vsock streams, the backend thread and its
# seccomp filter) and AF_VSOCK. A leaf: it includes nothing else of host/.
VSOCK_SRCS := host/vsock/vsock.c host/vsock/vsock_loop.c host/vsock/vsock_proto.c \
	host/vsock/vsock_conn.c host/vsock/vsock_ctl.c host/vsock/vsock_log.c \
	host/vsock/vhost_user.c host/vsock/virtq.c host/vsock/vu_mem.c host/vsock/vsock_sandbox.c \
	$(BUILD)/gen/vsock_seccomp_policy.c
IHVM_SRCS += $(VSOCK_SRCS)
DEB_PKGS += clang-14 libclang-rt-14-dev

# The backend thread's seccomp allow-list is data: host/vsock/vsock_seccomp.policy.
$(BUILD)/gen/vsock_seccomp_policy.c: host/vsock/vsock_seccomp.policy host/vsock/gen-vsock-seccomp.awk
	@mkdir -p $(@D)
	awk -f host/vsock/gen-vsock-seccomp.awk $< > $@

VSOCK_TEST_SRCS := tests/vsock/test_vsock.c tests/vsock/fake_guest.c
UNIT_TESTS += $(HOSTOUT)/tests/vsock/test_vsock $(ASANOUT)/tests/vsock/test_vsock

$(HOSTOUT)/tests/vsock/test_vsock: $(patsubst %.c,$(HOSTOUT)/%.o,$(VSOCK_TEST_SRCS) $(VSOCK_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^ -lpthread
$(ASANOUT)/tests/vsock/test_vsock: $(patsubst %.c,$(ASANOUT)/%.o,$(VSOCK_TEST_SRCS) $(VSOCK_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^ -lpthread

# The guest side of the VM test and benchmark: only in the TEST rootfs (rootfs/contents.test),
# started by ih.mode=vsock-test (guest/init/vsock_test_mode.c, linked into the guest init).
$(OUT)/guest/ih-vsock-test: $(OUT)/obj/tests/vsock/guest_peer.o $(OUT)/obj/guest/init/vsock_host.o \
	$(OUT)/obj/tests/vsock/sha256.o
	@mkdir -p $(@D)
	$(GUEST_CC) $(LDFLAGS_GUEST) -o $@ $^
$(INIT_BIN): $(OUT)/obj/guest/init/vsock_test_mode.o

# VM test: real QEMU (TCG) against the backend, 64 MiB each way, SHA-256 checked.
VSOCK_VM_OBJS := $(patsubst %.c,$(HOSTOUT)/%.o,tests/vsock/vm_harness.c tests/vsock/sha256.c \
	host/qemu/qemu.c $(VSOCK_SRCS))
# The same test run as vm_vsock_kernel takes the --vsock=kernel path (AF_VSOCK through
# /dev/vhost-vsock); it skips, saying why, where that device is absent.
VM_TESTS += $(HOSTOUT)/tests/vsock/vm_vsock $(HOSTOUT)/tests/vsock/vm_vsock_kernel
$(HOSTOUT)/tests/vsock/vm_vsock_kernel: $(HOSTOUT)/tests/vsock/vm_vsock
	ln -sf vm_vsock $@
# Run as vm_vsock_arm64 it boots the arm64 image (TCG) against the same backend; tests/arm64.mk
# builds build/arm64/rootfs-test.squashfs with the arm64 image.
ifneq ($(ARCH),arm64)
VM_TESTS += $(HOSTOUT)/tests/vsock/vm_vsock_arm64
endif
$(HOSTOUT)/tests/vsock/vm_vsock_arm64: $(HOSTOUT)/tests/vsock/vm_vsock
	ln -sf vm_vsock $@
$(HOSTOUT)/tests/vsock/vm_vsock: $(HOSTOUT)/tests/vsock/vm_vsock.o $(VSOCK_VM_OBJS) \
		| $(OUT)/rootfs-test.squashfs
	$(CC) $(LDFLAGS_HOST) -o $@ $(filter %.o,$^) -lpthread

# libFuzzer target over ring and packet parsing (clang): `make fuzz FUZZ_SECONDS=N`, and a
# short run among the unit tests (tests/fuzz/fuzz_vsock.test). An input slower than
# FUZZ_TIMEOUT seconds is a finding (a guest must not be able to hold the backend).
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 2
FUZZ_CC := clang-14
FUZZ_CFLAGS := -std=gnu17 -g -O1 -I. -Itests/fuzz \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_VSOCK_SRCS := tests/fuzz/fuzz_vsock.c host/vsock/vsock_proto.c host/vsock/vsock_conn.c \
	host/vsock/vsock_ctl.c host/vsock/vsock_log.c host/vsock/virtq.c host/vsock/vu_mem.c \
	host/vsock/vhost_user.c
$(BUILD)/fuzz/fuzz_vsock: $(FUZZ_VSOCK_SRCS) $(wildcard host/vsock/*.h) tests/fuzz/fuzz_vsock.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)
$(BUILD)/fuzz/vsock_seeds: tests/fuzz/vsock_seeds.c tests/fuzz/fuzz_vsock.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -Itests/fuzz $(LDFLAGS_HOST) -o $@ $<
UNIT_TESTS += tests/fuzz/fuzz_vsock.test
tests/fuzz/fuzz_vsock.test: $(BUILD)/fuzz/fuzz_vsock $(BUILD)/fuzz/vsock_seeds

# The fuzzer's findings, each a file under tests/fuzz/regress/, replayed through the same
# target as a unit test (plain and ASan+UBSan builds); the inputs are compiled in.
VSOCK_REGRESS := $(sort $(wildcard tests/fuzz/regress/vsock-*))
$(BUILD)/gen/fuzz_vsock_inputs.c: $(VSOCK_REGRESS) tests/fuzz/gen-inputs.sh
	@mkdir -p $(@D)
	sh tests/fuzz/gen-inputs.sh $(VSOCK_REGRESS) > $@
VSOCK_REGRESS_SRCS := tests/fuzz/test_vsock_regress.c tests/fuzz/fuzz_vsock.c \
	$(BUILD)/gen/fuzz_vsock_inputs.c host/vsock/vsock_proto.c host/vsock/vsock_conn.c \
	host/vsock/vsock_ctl.c host/vsock/vsock_log.c host/vsock/virtq.c host/vsock/vu_mem.c \
	host/vsock/vhost_user.c
UNIT_TESTS += $(HOSTOUT)/tests/fuzz/test_vsock_regress $(ASANOUT)/tests/fuzz/test_vsock_regress
$(HOSTOUT)/tests/fuzz/test_vsock_regress: $(patsubst %.c,$(HOSTOUT)/%.o,$(VSOCK_REGRESS_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^ -lpthread
$(ASANOUT)/tests/fuzz/test_vsock_regress: $(patsubst %.c,$(ASANOUT)/%.o,$(VSOCK_REGRESS_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^ -lpthread

# Seeds: the generated well-formed images, the minimised corpus of past long runs
# (tests/fuzz/seeds/) and every past finding (tests/fuzz/regress/).
VSOCK_FUZZ_SEEDS := $(BUILD)/fuzz/seeds-vsock tests/fuzz/seeds/vsock tests/fuzz/regress
.PHONY: fuzz fuzz-vsock fuzz-long
fuzz: fuzz-vsock
fuzz-vsock: $(BUILD)/fuzz/fuzz_vsock $(BUILD)/fuzz/vsock_seeds
	@mkdir -p $(BUILD)/fuzz/seeds-vsock
	$(BUILD)/fuzz/vsock_seeds $(BUILD)/fuzz/seeds-vsock
	IH_FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) tests/fuzz/fuzz-long.sh $(BUILD)/fuzz/fuzz_vsock \
		$(BUILD)/fuzz/corpus-vsock $(FUZZ_SECONDS) $(VSOCK_FUZZ_SEEDS)

# make fuzz-long [FUZZ_MINUTES=N]: every fuzzer, one after the other, N minutes each (10),
# at low priority, each on its corpus under $(BUILD)/fuzz/ kept from run to run. The seeds
# in tests/fuzz/seeds/NAME are the fewest inputs that cover every edge a run reached, made by
# FUZZER -set_cover_merge=1 -use_counters=0 tests/fuzz/seeds/NAME $(BUILD)/fuzz/corpus-NAME
FUZZ_MINUTES ?= 10
FUZZ_LONG_SECONDS ?= $$(($(FUZZ_MINUTES) * 60))
fuzz-long: $(BUILD)/fuzz/fuzz_vsock $(BUILD)/fuzz/vsock_seeds $(BUILD)/fuzz/fuzz_decode \
		$(HOSTOUT)/tests/corpus/gen-corpus
	@mkdir -p $(BUILD)/fuzz/seeds-vsock $(BUILD)/fuzz/seeds-decode
	$(BUILD)/fuzz/vsock_seeds $(BUILD)/fuzz/seeds-vsock
	$(HOSTOUT)/tests/corpus/gen-corpus $(BUILD)/fuzz/gen-decode
	cp $(BUILD)/fuzz/gen-decode/good/*.png $(BUILD)/fuzz/gen-decode/good/*.jpg \
		$(BUILD)/fuzz/seeds-decode/
	find $(BUILD)/fuzz/gen-decode/hostile -type f -size -100k \
		-exec cp {} $(BUILD)/fuzz/seeds-decode/ \;
	rc=0; \
	IH_FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) nice tests/fuzz/fuzz-long.sh $(BUILD)/fuzz/fuzz_vsock \
		$(BUILD)/fuzz/corpus-vsock $(FUZZ_LONG_SECONDS) $(VSOCK_FUZZ_SEEDS) || rc=1; \
	IH_FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) IH_FUZZ_RSS_MB=1024 nice tests/fuzz/fuzz-long.sh \
		$(BUILD)/fuzz/fuzz_decode $(BUILD)/fuzz/corpus-decode $(FUZZ_LONG_SECONDS) \
		$(BUILD)/fuzz/seeds-decode tests/fuzz/seeds/decode || rc=1; \
	exit $$rc

# make bench: vsock throughput both ways next to an in-guest pipe and memcpy, same boot.
BENCHES += $(HOSTOUT)/tests/bench_vsock
$(HOSTOUT)/tests/bench_vsock: $(HOSTOUT)/tests/bench_vsock.o $(VSOCK_VM_OBJS) \
		| $(OUT)/rootfs-test.squashfs
	$(CC) $(LDFLAGS_HOST) -o $@ $(filter %.o,$^) -lpthread
