# The colour step (guest/decode/color.c): unit tests built twice (hardened and under
# ASan+UBSan) that compare with lcms2's own tificc and transicc and feed it hostile profiles,
# a libFuzzer harness over the profile path, and its make bench line.
COLOR_TEST_SRCS := tests/color/test_color.c tests/color/profiles.c $(COLOR_SRCS) \
	guest/decode/common.c $(GEN)/limits_default.c
COLOR_TEST_LIBS := $(COLOR_LIBS) -ltiff -lm
DEB_PKGS += libtiff-dev
UNIT_TESTS += $(HOSTOUT)/tests/color/test_color $(ASANOUT)/tests/color/test_color

$(HOSTOUT)/tests/color/test_color: $(patsubst %.c,$(HOSTOUT)/%.o,$(COLOR_TEST_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(COLOR_TEST_LIBS)
$(ASANOUT)/tests/color/test_color: $(patsubst %.c,$(ASANOUT)/%.o,$(COLOR_TEST_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^ $(COLOR_TEST_LIBS)

# libFuzzer over ih_color_apply (clang, in-process): the input picks the pixel layout and
# the mode, the rest is the profile. `make fuzz-color FUZZ_SECONDS=N`; a 20 s run among the
# unit tests (tests/color/fuzz_icc.test), seeded by test_color --seeds.
FUZZ_ICC_SRCS := tests/color/fuzz_icc.c $(COLOR_SRCS) guest/decode/common.c \
	$(GEN)/limits_default.c
$(BUILD)/fuzz/fuzz_icc: $(FUZZ_ICC_SRCS) $(wildcard guest/decode/*.h)
	@mkdir -p $(@D)
	clang -std=gnu17 -g -O1 -I. -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $(filter %.c,$^) $(COLOR_LIBS) -lm
UNIT_TESTS += tests/color/fuzz_icc.test
tests/color/fuzz_icc.test: $(BUILD)/fuzz/fuzz_icc $(HOSTOUT)/tests/color/test_color

.PHONY: fuzz-color
fuzz: fuzz-color
fuzz-color: $(BUILD)/fuzz/fuzz_icc $(HOSTOUT)/tests/color/test_color
	IH_BUILD=$(BUILD) IH_FUZZ_SECONDS=$(FUZZ_SECONDS) tests/color/fuzz_icc.test

# make bench: sRGB conversion of a 12 MP image next to its plain decode.
BENCH_COLOR_SRCS := tests/color/bench_color.c tests/color/profiles.c tests/corpus/corpus.c \
	$(sort $(COLOR_SRCS) $(filter guest/decode/%.c $(GEN)/%.c,$(DECODE_SRCS)))
BENCHES += $(HOSTOUT)/tests/color/bench_color
$(HOSTOUT)/tests/color/bench_color: $(patsubst %.c,$(HOSTOUT)/%.o,$(BENCH_COLOR_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(DECODE_LIBS) $(COLOR_LIBS)
