# The read-only root: rootfs/contents staged by rootfs/stage, packed and checked by
# rootfs/mkrootfs. The TEST variant adds rootfs/contents.test (test programs).
# Sources named in the lists (@OUT@/... and absolute paths) are prerequisites, so make builds
# them first.
#
# The dynamic loader and the shared libraries the listed programs need are not in the lists:
# rootfs/gen-libs generates them as one more list, $(OUT)/rootfs-libs.contents (the TEST
# variant: rootfs-test-libs.contents), from the built programs and this machine's Debian
# packages of the guest's architecture.

DEB_PKGS += squashfs-tools binutils

rootfs_list_srcs = $(shell sed -e 's/\#.*//' $(1) 2>/dev/null | awk 'NF == 3 { print $$1 }')
rootfs_srcs = $(patsubst @OUT@/%,$(OUT)/%,$(filter @OUT@/%,$(call rootfs_list_srcs,$(1)))) \
	$(wildcard $(filter /%,$(call rootfs_list_srcs,$(1))))
ROOTFS_LISTS := rootfs/contents
ROOTFS_TEST_LISTS := rootfs/contents rootfs/contents.test
ROOTFS_LIBS := $(OUT)/rootfs-libs.contents
ROOTFS_TEST_LIBS := $(OUT)/rootfs-test-libs.contents

IMAGE_FILES += $(OUT)/rootfs.squashfs

$(ROOTFS_LIBS): $(ROOTFS_LISTS) $(call rootfs_srcs,$(ROOTFS_LISTS)) rootfs/gen-libs
	rootfs/gen-libs $(call rootfs_srcs,$(ROOTFS_LISTS)) >$@

$(ROOTFS_TEST_LIBS): $(ROOTFS_TEST_LISTS) $(call rootfs_srcs,$(ROOTFS_TEST_LISTS)) rootfs/gen-libs
	rootfs/gen-libs $(call rootfs_srcs,$(ROOTFS_TEST_LISTS)) >$@

$(OUT)/rootfs.squashfs: $(ROOTFS_LISTS) $(ROOTFS_LIBS) \
		$(call rootfs_srcs,$(ROOTFS_LISTS) $(ROOTFS_LIBS)) rootfs/stage rootfs/mkrootfs \
		rootfs/gen-libs
	rootfs/stage $(OUT) $(OUT)/staging/rootfs $(ROOTFS_LISTS) $(ROOTFS_LIBS)
	SOURCE_DATE_EPOCH=$(IH_EPOCH) rootfs/mkrootfs $(OUT)/staging/rootfs $@

$(OUT)/rootfs-test.squashfs: $(ROOTFS_TEST_LISTS) $(ROOTFS_TEST_LIBS) \
		$(call rootfs_srcs,$(ROOTFS_TEST_LISTS) $(ROOTFS_TEST_LIBS)) rootfs/stage \
		rootfs/mkrootfs rootfs/gen-libs
	rootfs/stage $(OUT) $(OUT)/staging/rootfs-test $(ROOTFS_TEST_LISTS) $(ROOTFS_TEST_LIBS)
	SOURCE_DATE_EPOCH=$(IH_EPOCH) rootfs/mkrootfs $(OUT)/staging/rootfs-test $@

UNIT_TESTS += rootfs/mkrootfs.test rootfs/gen-libs.test
