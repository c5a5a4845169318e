# The GIF, WebP and TIFF decoders (guest/decode/{gif,webp,tiff}.c): test_formats built twice
# (hardened and under ASan+UBSan) compares the generated corpus with Debian's own tools
# (dwebp, gif2rgb, giftext, webpmux, tiff2rgba) in the library and in the sandboxed child;
# one libFuzzer harness per format; the VM test of the five formats.
FORMATS_TEST_LIBS := $(DECODE_LIBS) -lwebpmux
UNIT_TESTS += $(HOSTOUT)/tests/formats/test_formats $(ASANOUT)/tests/formats/test_formats

$(HOSTOUT)/tests/formats/test_formats: $(HOSTOUT)/tests/formats/test_formats.o $(DECODE_OBJS) \
		$(HOSTOUT)/tests/corpus/formats.o
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(FORMATS_TEST_LIBS)
$(ASANOUT)/tests/formats/test_formats: $(ASANOUT)/tests/formats/test_formats.o \
		$(DECODE_ASAN_OBJS) $(ASANOUT)/tests/corpus/formats.o
	$(CC) $(LDFLAGS_ASAN) -o $@ $^ $(FORMATS_TEST_LIBS)
.SECONDARY: $(HOSTOUT)/tests/formats/test_formats.o $(ASANOUT)/tests/formats/test_formats.o

# The JPEG XL decoder (guest/decode/jxl.c) against files made by cjxl and read by djxl.
UNIT_TESTS += $(HOSTOUT)/tests/formats/test_jxl $(ASANOUT)/tests/formats/test_jxl
$(HOSTOUT)/tests/formats/test_jxl: $(HOSTOUT)/tests/formats/test_jxl.o $(DECODE_OBJS)
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(DECODE_LIBS)
$(ASANOUT)/tests/formats/test_jxl: $(ASANOUT)/tests/formats/test_jxl.o $(DECODE_ASAN_OBJS)
	$(CC) $(LDFLAGS_ASAN) -o $@ $^ $(DECODE_LIBS)
.SECONDARY: $(HOSTOUT)/tests/formats/test_jxl.o $(ASANOUT)/tests/formats/test_jxl.o
# JPEG XL through both guests against --isolation=process (needs the rebuilt images).
VM_TESTS += tests/formats/jxl_vm.test
tests/formats/jxl_vm.test: $(HOSTOUT)/ih-vm $(HOSTOUT)/tests/corpus/gen-corpus
# make bench: 12 MP HEIC, AVIF and JPEG XL, sandboxed against native in the same run.
BENCHES += $(HOSTOUT)/tests/formats/bench_photo
$(HOSTOUT)/tests/formats/bench_photo: $(HOSTOUT)/tests/formats/bench_photo.o \
		$(HOSTOUT)/tests/bench_decode_once.o $(DECODE_OBJS)
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(DECODE_LIBS)
.SECONDARY: $(HOSTOUT)/tests/formats/bench_photo.o

# libFuzzer, one target per format (clang, in-process, no sandbox so that ASan sees it):
# `make fuzz-formats FUZZ_SECONDS=N`, and a 20 s run each among the unit tests.
FUZZ_FORMAT_SRCS := $(filter guest/decode/%.c,$(DECODE_SRCS)) $(GEN)/limits_default.c
FUZZ_FORMATS := $(BUILD)/fuzz/fuzz_gif $(BUILD)/fuzz/fuzz_webp $(BUILD)/fuzz/fuzz_tiff
FUZZ_FORMATS += $(BUILD)/fuzz/fuzz_jxl
$(FUZZ_FORMATS): $(BUILD)/fuzz/fuzz_%: tests/formats/fuzz_%.c tests/formats/fuzz_format.h $(FUZZ_FORMAT_SRCS) \
		$(wildcard guest/decode/*.h)
	@mkdir -p $(@D)
	clang -std=gnu17 -g -O1 -I. -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $< $(FUZZ_FORMAT_SRCS) \
		$(filter-out -lseccomp,$(DECODE_LIBS))
UNIT_TESTS += tests/formats/fuzz_formats.test
tests/formats/fuzz_formats.test: $(FUZZ_FORMATS) $(HOSTOUT)/tests/corpus/gen-corpus

.PHONY: fuzz-formats
fuzz: fuzz-formats
fuzz-formats: $(FUZZ_FORMATS) $(HOSTOUT)/tests/corpus/gen-corpus
	IH_BUILD=$(BUILD) IH_FUZZ_SECONDS=$(FUZZ_SECONDS) tests/formats/fuzz_formats.test

# The VM test: the corpus through `ih-vm decode`, in one warm VM and with --isolation=process.
$(HOSTOUT)/tests/formats/formats_vm_test: $(patsubst %.c,$(HOSTOUT)/%.o, \
		tests/formats/formats_vm_test.c $(E2E_LIB) tests/corpus/formats.c)
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(CORPUS_LIBS)
VM_TESTS += $(HOSTOUT)/tests/formats/formats_vm_test
# The same formats through the arm64 guest, against --isolation=process.
VM_TESTS += tests/formats/arm64.test
tests/formats/arm64.test: $(HOSTOUT)/ih-vm $(HOSTOUT)/tests/corpus/gen-corpus
