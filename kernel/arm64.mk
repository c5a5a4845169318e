# The arm64 guest (issue 5). kernel/kernel.mk and the other fragments build it with ARCH=arm64;
# this fragment adds what the cross build from x86_64 needs and the Image.gz budget.
#
# `make deps ARCH=arm64` enables Debian's arm64 multiarch, then the top-level deps installs
# the cross compiler, its GCC plugin headers (the kernel's GCC plugins) and the arm64 static
# libraries the guest programs link (the cross gcc finds /usr/include/aarch64-linux-gnu and
# /usr/lib/aarch64-linux-gnu by itself).
# busybox-static:arm64 cannot be installed beside the native busybox-static, so the build
# unpacks Debian's package into build/arm64 (initramfs/initramfs.mk takes it from there).

ifeq ($(ARCH),arm64)
DEB_PKGS += qemu-system-arm
IMAGE_FILES += $(OUT)/Image.gz

ifneq ($(HOST_ARCH),arm64)
DEB_PKGS += gcc-aarch64-linux-gnu gcc-12-plugin-dev-aarch64-linux-gnu libc6-dev:arm64 libpng-dev:arm64 libjpeg62-turbo-dev:arm64 liblcms2-dev:arm64 \
	libseccomp-dev:arm64 zlib1g-dev:arm64 libgif-dev:arm64 libwebp-dev:arm64 libtiff-dev:arm64 \
	libdeflate-dev:arm64
DEB_PKGS += libheif-dev:arm64 libde265-dev:arm64 libavif-dev:arm64
DEB_PKGS += libjxl-dev:arm64
deps: deps-arm64-multiarch
endif
endif

.PHONY: deps-arm64-multiarch
deps-arm64-multiarch:
	@dpkg --print-foreign-architectures | grep -qx arm64 && exit 0; \
	if [ "$$(id -u)" = 0 ]; then sudo=; \
	elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
	else echo "deps: run 'make deps ARCH=arm64' as root to enable arm64 multiarch" >&2; exit 1; fi; \
	echo "deps: enabling the arm64 multiarch architecture"; \
	$$sudo dpkg --add-architecture arm64

# Debian's busybox-static for arm64, unpacked (apt-get download needs no root).
$(BUILD)/arm64/busybox-static/bin/busybox:
	rm -rf $(BUILD)/arm64/busybox-static $(BUILD)/arm64/deb
	@mkdir -p $(BUILD)/arm64/deb
	cd $(BUILD)/arm64/deb && apt-get download -q busybox-static:arm64
	dpkg-deb -x $(BUILD)/arm64/deb/busybox-static_*_arm64.deb $(BUILD)/arm64/busybox-static
	touch $@

# The compressed kernel, for its size only (QEMU and Virtualization.framework boot Image).
$(BUILD)/arm64/Image.gz: $(BUILD)/arm64/Image kernel/budget-gz.arm64 kernel/check-size
	gzip -n -9 -c $< >$@
	kernel/check-size $@ kernel/budget-gz.arm64
