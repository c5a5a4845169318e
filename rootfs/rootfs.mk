# The read-only root: rootfs/contents staged by rootfs/stage, packed and checked by
# rootfs/mkrootfs. The TEST variant adds rootfs/contents.test (test programs).
# Sources named in the lists (@OUT@/...) are prerequisites, so make builds them first.

DEB_PKGS += squashfs-tools

rootfs_srcs = $(patsubst @OUT@/%,$(OUT)/%,$(filter @OUT@/%,$(shell \
	sed -e 's/\#.*//' $(1) 2>/dev/null | awk 'NF == 3 { print $$1 }')))
ROOTFS_LISTS := rootfs/contents
ROOTFS_TEST_LISTS := rootfs/contents rootfs/contents.test

IMAGE_FILES += $(OUT)/rootfs.squashfs

$(OUT)/rootfs.squashfs: $(ROOTFS_LISTS) $(call rootfs_srcs,$(ROOTFS_LISTS)) rootfs/stage \
		rootfs/mkrootfs
	rootfs/stage $(OUT) $(OUT)/staging/rootfs $(ROOTFS_LISTS)
	SOURCE_DATE_EPOCH=$(IH_EPOCH) rootfs/mkrootfs $(OUT)/staging/rootfs $@

$(OUT)/rootfs-test.squashfs: $(ROOTFS_TEST_LISTS) $(call rootfs_srcs,$(ROOTFS_TEST_LISTS)) \
		rootfs/stage rootfs/mkrootfs
	rootfs/stage $(OUT) $(OUT)/staging/rootfs-test $(ROOTFS_TEST_LISTS)
	SOURCE_DATE_EPOCH=$(IH_EPOCH) rootfs/mkrootfs $(OUT)/staging/rootfs-test $@

UNIT_TESTS += rootfs/mkrootfs.test
