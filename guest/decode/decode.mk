# The decoding library (guest/decode/): wire protocol, format dispatch, one file per format
# decoder, the per-request limits. It parses hostile bytes and runs inside the sandboxed child
# only (guest/sandbox/); it includes nothing from guest/sandbox/, guest/init/ or host/.
# guest/sandbox/sandbox.mk, read next, adds the sandbox to DECODE_SRCS: together they are
# the library the guest init (static) and the launcher (--isolation=process) link.
GEN := $(BUILD)/gen

DECODE_SRCS += guest/decode/proto.c guest/decode/decode.c guest/decode/common.c \
	guest/decode/png.c guest/decode/jpeg.c guest/decode/gif.c guest/decode/webp.c \
	guest/decode/tiff.c guest/decode/tiff_scan.c guest/decode/anim.c $(GEN)/limits_default.c \
	guest/decode/jpeg_meta.c guest/decode/exif.c guest/decode/orient.c guest/decode/color.c
# HEIF and AVIF: shared libraries only in Debian (the guest init links them dynamically);
# libde265 directly too, for the single-threaded HEVC plugin (hevc_plugin.c).
DECODE_SRCS += guest/decode/isobmff.c guest/decode/isobmff_iloc.c guest/decode/heif.c guest/decode/hevc_plugin.c \
	guest/decode/avif.c guest/decode/avif_warmup.c guest/decode/cicp.c
DECODE_LIBS += -lheif -lde265 -lavif
DEB_PKGS += libheif-dev libde265-dev libavif-dev libheif-examples libavif-bin
# JPEG XL (guest/decode/jxl.c): libjxl 0.7, shared only in Debian; it brings libhwy,
# libbrotli and the C++ runtime into the guest root (rootfs/gen-libs follows DT_NEEDED).
DECODE_SRCS += guest/decode/jxl.c
DECODE_LIBS += -ljxl
DEB_PKGS += libjxl-dev libjxl-tools
# Static link order: libtiff needs libjpeg, libdeflate and zlib after it. libtiff's codecs
# for the compressions limits.conf refuses (LERC, ZSTD, LZMA, JBIG, WebP) are replaced in
# tiff.c, so neither they nor their libraries (liblerc is C++) are linked.
FORMAT_LIBS := -lgif -lwebpdemux -lwebp -ltiff
DECODE_LIBS += -lpng16 $(FORMAT_LIBS) -ljpeg -ldeflate -lz -lm -llcms2
DEB_PKGS += libpng-dev libjpeg62-turbo-dev zlib1g-dev libjpeg-turbo-progs netpbm \
	libgif-dev libwebp-dev libtiff-dev libdeflate-dev webp giflib-tools libtiff-tools

# The colour step (guest/decode/color.c) links Little CMS 2, which Debian ships as a shared
# library only: until the guest init links dynamically it stays out of DECODE_SRCS (the
# static-pie init could not link it); the launcher and the tests link COLOR_SRCS and
# COLOR_LIBS beside the decoding library.
COLOR_SRCS := guest/decode/color.c
COLOR_LIBS := -llcms2
DEB_PKGS += liblcms2-dev liblcms2-utils

# The limits are data: guest/decode/limits.conf, each with its reason.
$(GEN)/limits_default.c: guest/decode/limits.conf guest/decode/gen-limits.awk
	@mkdir -p $(@D)
	awk -f guest/decode/gen-limits.awk $< > $@

# The corpus generator, for the end-to-end tests: gen-corpus OUTDIR.
CORPUS_SRCS := tests/corpus/corpus.c
CORPUS_LIBS := -lpng16 -lgif -lwebpmux -lwebpdemux -lwebp -ltiff -ljpeg -lz -lm
HOST_PROGS += $(HOSTOUT)/tests/corpus/gen-corpus
$(HOSTOUT)/tests/corpus/gen-corpus: $(HOSTOUT)/tests/corpus/gen-corpus.o \
		$(HOSTOUT)/tests/corpus/corpus.o $(HOSTOUT)/tests/corpus/formats.o
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(CORPUS_LIBS)
.SECONDARY: $(HOSTOUT)/tests/corpus/corpus.o $(ASANOUT)/tests/corpus/corpus.o \
	$(HOSTOUT)/tests/corpus/gen-corpus.o $(HOSTOUT)/tests/corpus/formats.o \
	$(ASANOUT)/tests/corpus/formats.o

# libFuzzer target over the decoders and the protocol parsers (clang, in-process, no
# sandbox so that ASan sees everything): `make fuzz-decode FUZZ_SECONDS=N`, and a short
# run among the unit tests (tests/decoder/fuzz_decode.test).
FUZZ_DECODE_SRCS := tests/decoder/fuzz_decode.c $(filter guest/decode/%.c,$(DECODE_SRCS)) \
	$(GEN)/limits_default.c
$(BUILD)/fuzz/fuzz_decode: $(FUZZ_DECODE_SRCS) $(wildcard guest/decode/*.h)
	@mkdir -p $(@D)
	clang -std=gnu17 -g -O1 -I. -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $(filter %.c,$^) $(DECODE_LIBS)
UNIT_TESTS += tests/decoder/fuzz_decode.test
DEB_PKGS += clang libclang-rt-14-dev
tests/decoder/fuzz_decode.test: $(BUILD)/fuzz/fuzz_decode $(HOSTOUT)/tests/corpus/gen-corpus

.PHONY: fuzz-decode
fuzz: fuzz-decode
fuzz-decode: $(BUILD)/fuzz/fuzz_decode $(HOSTOUT)/tests/corpus/gen-corpus
	IH_FUZZ_SECONDS=$(FUZZ_SECONDS) tests/decoder/fuzz_decode.test
