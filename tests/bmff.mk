# The HEIF and AVIF decoders (guest/decode/heif.c, avif.c, isobmff.c, hevc_plugin.c):
# test_bmff, built hardened and under ASan+UBSan, makes files with Debian's heif-enc and
# avifenc and compares them with heif-convert and avifdec run natively, in the library and
# in the sandboxed child, and builds hostile files box by box; one libFuzzer harness per
# format; the VM test through the x86_64 and arm64 guests.
BMFF_TEST_SRCS := tests/bmff/test_bmff.c tests/bmff/bmff_boxes.c
UNIT_TESTS += $(HOSTOUT)/tests/bmff/test_bmff $(ASANOUT)/tests/bmff/test_bmff
DEB_PKGS += libheif-examples libavif-bin netpbm

$(HOSTOUT)/tests/bmff/test_bmff: $(patsubst %.c,$(HOSTOUT)/%.o,$(BMFF_TEST_SRCS)) $(DECODE_OBJS)
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(DECODE_LIBS) -llcms2
$(ASANOUT)/tests/bmff/test_bmff: $(patsubst %.c,$(ASANOUT)/%.o,$(BMFF_TEST_SRCS)) \
		$(DECODE_ASAN_OBJS)
	$(CC) $(LDFLAGS_ASAN) -o $@ $^ $(DECODE_LIBS) -llcms2
.SECONDARY: $(patsubst %.c,$(HOSTOUT)/%.o,$(BMFF_TEST_SRCS)) \
	$(patsubst %.c,$(ASANOUT)/%.o,$(BMFF_TEST_SRCS))

# libFuzzer, one target per format (clang, in-process, no sandbox so that ASan sees it):
# `make fuzz-bmff FUZZ_SECONDS=N`, and a 20 s run each among the unit tests.
FUZZ_BMFF := $(BUILD)/fuzz/fuzz_heif $(BUILD)/fuzz/fuzz_avif
$(FUZZ_BMFF): $(BUILD)/fuzz/fuzz_%: tests/bmff/fuzz_%.c tests/formats/fuzz_format.h \
		$(filter guest/decode/%.c,$(DECODE_SRCS)) $(GEN)/limits_default.c \
		$(wildcard guest/decode/*.h)
	@mkdir -p $(@D)
	clang -std=gnu17 -g -O1 -I. -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $< $(filter guest/decode/%.c,$(DECODE_SRCS)) \
		$(GEN)/limits_default.c $(filter-out -lseccomp,$(DECODE_LIBS))
UNIT_TESTS += tests/bmff/fuzz_bmff.test
tests/bmff/fuzz_bmff.test: $(FUZZ_BMFF)

.PHONY: fuzz-bmff
fuzz: fuzz-bmff
fuzz-bmff: $(FUZZ_BMFF)
	IH_BUILD=$(BUILD) IH_FUZZ_SECONDS=$(FUZZ_SECONDS) tests/bmff/fuzz_bmff.test

# HEIF and AVIF through the x86_64 and the arm64 guest, against --isolation=process.
VM_TESTS += tests/bmff/vm.test
tests/bmff/vm.test: $(HOSTOUT)/ih-vm
