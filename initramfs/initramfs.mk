# The initramfs: Debian's static busybox and initramfs/init, packed reproducibly (fixed
# owners and mtimes, gzip without a name or time) with the kernel's own gen_init_cpio.
# The floor variant holds only a do-nothing /init (guest/init/floor.c), for make bench.

DEB_PKGS += busybox-static cpio

IH_EPOCH := $(or $(SOURCE_DATE_EPOCH),0)
# A cross build (ARCH=arm64 on x86_64) takes Debian's busybox-static for ARCH, unpacked into
# $(OUT) by kernel/arm64.mk: the native package is for the host's architecture.
BUSYBOX := $(if $(filter $(ARCH),$(HOST_ARCH)),/bin/busybox,$(OUT)/busybox-static/bin/busybox)
# Built by kernel/kernel.mk from the kernel source (this fragment is read before it, so
# the path is spelled out: prerequisites are expanded when a rule is read).
GEN_INIT_CPIO := $(OUT)/tools/gen_init_cpio

IMAGE_FILES += $(OUT)/initramfs.cpio.gz $(OUT)/initramfs-floor.cpio.gz

$(OUT)/initramfs.cpio.gz: initramfs/files initramfs/init $(BUSYBOX) $(GEN_INIT_CPIO)
	IH_BUSYBOX=$(BUSYBOX) IH_INITRAMFS_INIT=initramfs/init \
		$(GEN_INIT_CPIO) -t $(IH_EPOCH) initramfs/files | gzip -n -9 >$@

$(OUT)/initramfs-floor.cpio.gz: initramfs/files.floor $(OUT)/guest/floor $(GEN_INIT_CPIO)
	IH_FLOOR_INIT=$(OUT)/guest/floor \
		$(GEN_INIT_CPIO) -t $(IH_EPOCH) initramfs/files.floor | gzip -n -9 >$@
