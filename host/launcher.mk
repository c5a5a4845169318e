# The ih-vm launcher: subcommand sources. Each owner adds its files to IHVM_SRCS in its own
# host/*.mk fragment; the link rule is in the top-level Makefile.
IHVM_SRCS += host/cmd_decode.c host/cmd_policy.c host/cmd_doctor.c host/cmd_boot.c

# make install [PREFIX=/usr/local] [DESTDIR=]: the launcher in $(PREFIX)/bin and the guest
# image of $(ARCH) in $(PREFIX)/share/imageharden/$(ARCH), where an installed ih-vm looks
# for it (host/qemu.c). `make install ARCH=arm64` adds the arm64 image beside it.
PREFIX ?= /usr/local
INSTALL_IMAGE_DIR = $(DESTDIR)$(PREFIX)/share/imageharden/$(ARCH)
INSTALL_IMAGE_FILES = $(or $(KERNEL_BOOT),$(KERNEL_IMAGE)) $(OUT)/cmdline $(OUT)/cmdline-tcg \
	$(OUT)/initramfs.cpio.gz $(OUT)/rootfs.squashfs
.PHONY: install
install: image $(HOSTOUT)/ih-vm
	install -D -m 0555 $(HOSTOUT)/ih-vm $(DESTDIR)$(PREFIX)/bin/ih-vm
	install -d -m 0755 $(INSTALL_IMAGE_DIR)
	install -m 0444 $(INSTALL_IMAGE_FILES) $(INSTALL_IMAGE_DIR)/
	@echo "install: ih-vm in $(DESTDIR)$(PREFIX)/bin, the $(ARCH) image in $(INSTALL_IMAGE_DIR)"
