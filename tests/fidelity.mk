# Photo fidelity (tests/fidelity/): orientation, depth, grey, CMYK/YCCK and hostile
# metadata through the sandboxed decoder, built hardened and under ASan+UBSan; and a
# libFuzzer harness of the EXIF orientation reader, 20 s in make test.
FIDELITY_SRCS := tests/fidelity/test_fidelity.c tests/fidelity/images.c tests/color/profiles.c
FIDELITY_LIBS := $(DECODE_LIBS) -lpng16 -ljpeg -llcms2 -lz
UNIT_TESTS += $(HOSTOUT)/tests/fidelity/test_fidelity $(ASANOUT)/tests/fidelity/test_fidelity
$(HOSTOUT)/tests/fidelity/test_fidelity: $(patsubst %.c,$(HOSTOUT)/%.o,$(FIDELITY_SRCS)) \
		$(DECODE_OBJS)
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(FIDELITY_LIBS)
$(ASANOUT)/tests/fidelity/test_fidelity: $(patsubst %.c,$(ASANOUT)/%.o,$(FIDELITY_SRCS)) \
		$(DECODE_ASAN_OBJS)
	$(CC) $(LDFLAGS_ASAN) -o $@ $^ $(FIDELITY_LIBS)

$(BUILD)/fuzz/fuzz_exif: tests/fidelity/fuzz_exif.c guest/decode/exif.c guest/decode/common.c \
		guest/decode/exif.h
	@mkdir -p $(@D)
	clang -std=gnu17 -g -O1 -I. -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $(filter %.c,$^)
UNIT_TESTS += tests/fidelity/fuzz_exif.test
tests/fidelity/fuzz_exif.test: $(BUILD)/fuzz/fuzz_exif
.PHONY: fuzz-exif
fuzz: fuzz-exif
fuzz-exif: $(BUILD)/fuzz/fuzz_exif
	IH_BUILD=$(BUILD) IH_FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fidelity/fuzz_exif.test

# make bench: orientation and sRGB conversion on a 12 MP JPEG next to the plain decode.
BENCH_FIDELITY_SRCS := tests/fidelity/bench_fidelity.c tests/fidelity/images.c \
	tests/color/profiles.c tests/corpus/corpus.c
BENCHES += $(HOSTOUT)/tests/fidelity/bench_fidelity
$(HOSTOUT)/tests/fidelity/bench_fidelity: $(patsubst %.c,$(HOSTOUT)/%.o,$(BENCH_FIDELITY_SRCS)) \
		$(DECODE_OBJS)
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(FIDELITY_LIBS)

# In the VM (x86_64, and arm64 when built): the same samples give the same bytes and records
# as --isolation=process.
VM_TESTS += tests/fidelity/vm.test
tests/fidelity/vm.test: $(HOSTOUT)/tests/fidelity/test_fidelity $(HOSTOUT)/ih-vm
