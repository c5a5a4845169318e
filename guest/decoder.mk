# The decoding library: wire protocol, PNG/JPEG decoders, sandbox, per-image isolation.
# Linked by the guest init (static) and by the launcher (--isolation=process). The limits
# and the seccomp allow-list are data files turned into C here.
GEN := $(BUILD)/gen

DECODE_SRCS += guest/proto.c guest/decode.c guest/png_decode.c guest/jpeg_decode.c \
	guest/landlock.c guest/seccomp_filter.c guest/sandbox.c guest/isolate.c \
	$(GEN)/limits_default.c $(GEN)/seccomp_policy.c
DECODE_LIBS += -lpng16 -ljpeg -lseccomp -lz -lm
DEB_PKGS += libseccomp-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev libjpeg-turbo-progs netpbm

$(GEN)/limits_default.c: guest/limits.conf guest/gen-limits.awk
	@mkdir -p $(@D)
	awk -f guest/gen-limits.awk $< > $@

$(GEN)/seccomp_policy.c: guest/seccomp.policy guest/gen-seccomp.awk
	@mkdir -p $(@D)
	awk -f guest/gen-seccomp.awk $< > $@

# Unit tests of the library, each built twice: hardened and under ASan+UBSan.
DECODE_OBJS := $(patsubst %.c,$(HOSTOUT)/%.o,$(DECODE_SRCS))
DECODE_ASAN_OBJS := $(patsubst %.c,$(ASANOUT)/%.o,$(DECODE_SRCS))
DECODER_TESTS := test_proto test_escape test_decode test_degraded
CORPUS_SRCS := tests/corpus/corpus.c
UNIT_TESTS += $(foreach t,$(DECODER_TESTS),$(HOSTOUT)/tests/decoder/$(t) $(ASANOUT)/tests/decoder/$(t))

$(HOSTOUT)/tests/decoder/%: $(HOSTOUT)/tests/decoder/%.o $(DECODE_OBJS) \
		$(HOSTOUT)/tests/corpus/corpus.o
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(DECODE_LIBS)
$(ASANOUT)/tests/decoder/%: $(ASANOUT)/tests/decoder/%.o $(DECODE_ASAN_OBJS) \
		$(ASANOUT)/tests/corpus/corpus.o
	$(CC) $(LDFLAGS_ASAN) -o $@ $^ $(DECODE_LIBS)

# The corpus generator, for the end-to-end tests: gen-corpus OUTDIR.
HOST_PROGS += $(HOSTOUT)/tests/corpus/gen-corpus
$(HOSTOUT)/tests/corpus/gen-corpus: $(HOSTOUT)/tests/corpus/gen-corpus.o \
		$(HOSTOUT)/tests/corpus/corpus.o
	$(CC) $(LDFLAGS_HOST) -o $@ $^ -lpng16 -ljpeg -lz -lm
.SECONDARY: $(DECODE_OBJS) $(DECODE_ASAN_OBJS) $(HOSTOUT)/tests/corpus/corpus.o \
	$(ASANOUT)/tests/corpus/corpus.o $(HOSTOUT)/tests/corpus/gen-corpus.o \
	$(foreach t,$(DECODER_TESTS),$(HOSTOUT)/tests/decoder/$(t).o $(ASANOUT)/tests/decoder/$(t).o)

# make bench: native vs sandboxed decode throughput.
BENCHES += $(HOSTOUT)/tests/bench_decode
$(HOSTOUT)/tests/bench_decode: $(HOSTOUT)/tests/bench_decode.o $(DECODE_OBJS) \
		$(HOSTOUT)/tests/corpus/corpus.o
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(DECODE_LIBS)

# libFuzzer target over the decoders and the protocol parsers (clang, in-process, no
# sandbox so that ASan sees everything): `make fuzz-decode FUZZ_SECONDS=N`, and a short
# run among the unit tests (tests/decoder/fuzz_decode.test).
FUZZ_DECODE_SRCS := tests/decoder/fuzz_decode.c guest/decode.c guest/png_decode.c \
	guest/jpeg_decode.c guest/proto.c $(GEN)/limits_default.c
$(BUILD)/fuzz/fuzz_decode: $(FUZZ_DECODE_SRCS) guest/decode.h guest/proto.h
	@mkdir -p $(@D)
	clang -std=gnu17 -g -O1 -Iguest -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $(filter %.c,$^) -lpng16 -ljpeg -lz -lm
UNIT_TESTS += tests/decoder/fuzz_decode.test
DEB_PKGS += clang libclang-rt-14-dev
tests/decoder/fuzz_decode.test: $(BUILD)/fuzz/fuzz_decode $(HOSTOUT)/tests/corpus/gen-corpus

.PHONY: fuzz-decode
fuzz: fuzz-decode
fuzz-decode: $(BUILD)/fuzz/fuzz_decode $(HOSTOUT)/tests/corpus/gen-corpus
	IH_FUZZ_SECONDS=$(FUZZ_SECONDS) tests/decoder/fuzz_decode.test

# test_degraded also runs the launcher under a simulated kernel without Landlock.
$(HOSTOUT)/tests/decoder/test_degraded $(ASANOUT)/tests/decoder/test_degraded: | $(HOSTOUT)/ih-vm
