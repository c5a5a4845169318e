# The ih-vm command line (host/cli/): main (ih-vm.c), one file per subcommand (cmd_*.c),
# the decode options and the output writers. It may call every other host/ folder and the
# decoding library; nothing calls back into it. Each folder adds its files to IHVM_SRCS in
# its own host/*/*.mk fragment; the link rule is in the top-level Makefile.
IHVM_SRCS += host/cli/cmd_decode.c host/cli/cmd_policy.c host/cli/cmd_doctor.c \
	host/cli/cmd_boot.c host/cli/decode_opts.c host/cli/output.c host/cli/encode.c \
	host/cli/work_queue.c
# Decode farms: manifests, shards, records files, `ih-vm report` (README: Running a decode farm).
IHVM_SRCS += host/cli/farm.c host/cli/manifest.c host/cli/shard.c host/cli/records.c \
	host/cli/cmd_report.c

# make install [PREFIX=/usr/local] [DESTDIR=]: the launcher in $(PREFIX)/bin and the guest
# image of $(ARCH) in $(PREFIX)/share/imageharden/$(ARCH), where an installed ih-vm looks
# for it (host/qemu/qemu.c). `make install ARCH=arm64` adds the arm64 image beside it.
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

# The command line, end to end (a script: it runs the hardened ih-vm and gen-corpus).
UNIT_TESTS += tests/decoder/test_cli.sh
tests/decoder/test_cli.sh: $(HOSTOUT)/ih-vm $(HOSTOUT)/tests/corpus/gen-corpus

# The same, dropped to uid 65534 when run as root.
UNIT_TESTS += tests/decoder/test_unpriv.sh
tests/decoder/test_unpriv.sh: $(HOSTOUT)/ih-vm $(HOSTOUT)/tests/corpus/gen-corpus \
	$(HOSTOUT)/tests/decoder/test_escape $(HOSTOUT)/tests/decoder/test_decode \
	$(HOSTOUT)/tests/decoder/test_degraded
