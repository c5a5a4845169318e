# The decoder sandbox (guest/sandbox/): namespaces, rlimits, no-new-privs, Landlock, the
# seccomp allow-list (data: guest/sandbox/seccomp.policy) and the isolated child that runs
# one decode of guest/decode/ per image. May call guest/decode/; nothing here calls up
# into guest/init/ or host/.
DECODE_SRCS += guest/sandbox/landlock.c guest/sandbox/seccomp_filter.c \
	guest/sandbox/sandbox.c guest/sandbox/spare.c guest/sandbox/pool.c \
	guest/sandbox/isolate.c \
	$(GEN)/seccomp_policy.c
DECODE_LIBS += -lseccomp
DEB_PKGS += libseccomp-dev

$(GEN)/seccomp_policy.c: guest/sandbox/seccomp.policy guest/sandbox/gen-seccomp.awk
	@mkdir -p $(@D)
	awk -f guest/sandbox/gen-seccomp.awk $< > $@

# Unit tests of the sandboxed decoding library, each built twice: hardened and under
# ASan+UBSan.
DECODE_OBJS := $(patsubst %.c,$(HOSTOUT)/%.o,$(DECODE_SRCS))
DECODE_ASAN_OBJS := $(patsubst %.c,$(ASANOUT)/%.o,$(DECODE_SRCS))
DECODER_TESTS := test_proto test_escape test_decode test_degraded test_spare test_pool test_budget
UNIT_TESTS += $(foreach t,$(DECODER_TESTS),$(HOSTOUT)/tests/decoder/$(t) $(ASANOUT)/tests/decoder/$(t))

$(HOSTOUT)/tests/decoder/%: $(HOSTOUT)/tests/decoder/%.o $(DECODE_OBJS) \
		$(HOSTOUT)/tests/corpus/corpus.o
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(DECODE_LIBS)
$(ASANOUT)/tests/decoder/%: $(ASANOUT)/tests/decoder/%.o $(DECODE_ASAN_OBJS) \
		$(ASANOUT)/tests/corpus/corpus.o
	$(CC) $(LDFLAGS_ASAN) -o $@ $^ $(DECODE_LIBS)
.SECONDARY: $(DECODE_OBJS) $(DECODE_ASAN_OBJS) \
	$(foreach t,$(DECODER_TESTS),$(HOSTOUT)/tests/decoder/$(t).o $(ASANOUT)/tests/decoder/$(t).o)

# test_spare also runs the doctor's inspection of a live child on the waiting spare.
SPARE_TEST_DOCTOR := doctor/inspect.c doctor/util.c
$(HOSTOUT)/tests/decoder/test_spare: $(patsubst %.c,$(HOSTOUT)/%.o,$(SPARE_TEST_DOCTOR))
$(ASANOUT)/tests/decoder/test_spare: $(patsubst %.c,$(ASANOUT)/%.o,$(SPARE_TEST_DOCTOR))

# test_degraded also runs the launcher under a simulated kernel without Landlock.
$(HOSTOUT)/tests/decoder/test_degraded $(ASANOUT)/tests/decoder/test_degraded: | $(HOSTOUT)/ih-vm

# make bench: native vs sandboxed decode throughput.
BENCHES += $(HOSTOUT)/tests/bench_decode
$(HOSTOUT)/tests/bench_decode: $(HOSTOUT)/tests/bench_decode.o \
		$(HOSTOUT)/tests/bench_decode_once.o $(DECODE_OBJS) \
		$(HOSTOUT)/tests/corpus/corpus.o $(HOSTOUT)/tests/corpus/formats.o
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(DECODE_LIBS) -lwebpmux

# make bench: a 100-image batch through `ih-vm decode --isolation=process --jobs 2` against
# native decoding of the same files, with and without pre-spawned children.
BENCHES += $(HOSTOUT)/tests/bench_batch
$(HOSTOUT)/tests/bench_batch: $(HOSTOUT)/tests/bench_batch.o $(DECODE_OBJS) \
		$(HOSTOUT)/tests/corpus/corpus.o | $(HOSTOUT)/ih-vm
	$(CC) $(LDFLAGS_HOST) -o $@ $(filter %.o,$^) $(DECODE_LIBS)
