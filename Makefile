# ImageHarden: decode untrusted images inside a throw-away hardened microVM.
#
# The pipeline reads in build order: kernel/ -> initramfs/ -> rootfs/ -> guest/ -> host/,
# with doctor/ and tests/ beside it. This file holds the shared flags and the user-facing
# targets; each directory keeps its own rules in <dir>/*.mk fragments, included below.
#
#   make deps     install the Debian packages the build and the tests need
#   make image    build/<arch>/{bzImage|Image,initramfs.cpio.gz,rootfs.squashfs,.config}
#   make          the image and the host launcher build/host/ih-vm
#   make demo     decode a generated sample image through the VM
#   make test     every test (host unit tests, also under ASan+UBSan, then VM tests)
#   make lint     clang-format check and cppcheck
#   make bench    measured speed and size figures, each next to its baseline
#   make install  ih-vm and the guest image under PREFIX (default /usr/local)

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SUFFIXES:

HOST_ARCH := $(shell uname -m | sed -e 's/^aarch64$$/arm64/')
ARCH ?= $(HOST_ARCH)
ifeq ($(filter $(ARCH),x86_64 arm64),)
$(error ARCH=$(ARCH) is not supported; use ARCH=x86_64 or ARCH=arm64)
endif

BUILD := build
OUT := $(BUILD)/$(ARCH)
HOSTOUT := $(BUILD)/host
ASANOUT := $(BUILD)/host-asan

# Compilers: the host launcher is always native; guest programs follow ARCH.
CC := gcc
ifeq ($(ARCH),$(HOST_ARCH))
GUEST_CC := gcc
else
GUEST_CC := $(if $(filter arm64,$(ARCH)),aarch64-linux-gnu-gcc,x86_64-linux-gnu-gcc)
endif

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla -Wimplicit-fallthrough
HARDENING := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection -fPIE
CFLAGS_COMMON := -std=gnu17 -g $(WARNINGS) -I. -MMD -MP
CFLAGS_HOST := $(CFLAGS_COMMON) -O2 $(HARDENING)
LDFLAGS_HOST := -pie -Wl,-z,relro,-z,now
CFLAGS_GUEST := $(CFLAGS_COMMON) -O2 $(HARDENING)
LDFLAGS_GUEST := -static-pie -Wl,-z,relro,-z,now
# The guest init alone links shared libraries (guest/README.md): a PIE that the loader binds
# completely before it runs (-z now) and whose relocated data is then read-only (relro).
LDFLAGS_GUEST_SHARED := -pie -Wl,-z,relro,-z,now
# Sanitizer builds of the host-side code and its unit tests (FORTIFY is off: it hides
# the accesses ASan should see).
CFLAGS_ASAN := $(CFLAGS_COMMON) -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS_ASAN := -fsanitize=address,undefined

# Each fragment (<dir>/*.mk) appends to these lists.
DEB_PKGS := gcc make cppcheck clang-format
UNIT_TESTS :=
VM_TESTS :=
BENCHES :=
IMAGE_FILES :=
HOST_PROGS := $(HOSTOUT)/ih-vm
# Sources of the launcher, and of the decoding library that both the guest programs and
# the launcher (--isolation=process) link.
IHVM_SRCS := host/cli/ih-vm.c
IHVM_LIBS := -lpthread
DECODE_SRCS :=
DECODE_LIBS :=

# The fragments, in the order their variables build on each other: the decoding library
# before the sandbox that runs it, both before the guest init and the launcher that link
# them. Every fragment of the tree must be listed.
MK_FRAGMENTS := doctor/doctor.mk guest/decode/decode.mk guest/sandbox/sandbox.mk \
	guest/init/init.mk $(sort $(wildcard host/*.mk host/*/*.mk)) initramfs/initramfs.mk \
	kernel/arm64.mk kernel/kernel.mk rootfs/rootfs.mk $(sort $(wildcard tests/*.mk))
ifneq ($(filter-out $(MK_FRAGMENTS),$(wildcard */*.mk */*/*.mk)),)
$(error fragments not in MK_FRAGMENTS: $(filter-out $(MK_FRAGMENTS),$(wildcard */*.mk */*/*.mk)))
endif
include $(MK_FRAGMENTS)

# One object per source and build flavour: host, host under ASan+UBSan, guest.
$(HOSTOUT)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -c -o $@ $<
$(ASANOUT)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ASAN) -c -o $@ $<
$(OUT)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(CFLAGS_GUEST) -c -o $@ $<

$(HOSTOUT)/ih-vm: $(patsubst %.c,$(HOSTOUT)/%.o,$(IHVM_SRCS) $(DECODE_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(DECODE_LIBS) $(IHVM_LIBS)

.PHONY: all image deps test test-build unit-test vm-test lint bench demo clean
all: image $(HOST_PROGS)
image: $(IMAGE_FILES)

deps:
	@pkgs='$(sort $(DEB_PKGS))'; missing=; \
	for p in $$pkgs; do \
		dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q '^install ok installed$$' \
			|| missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all $(words $(sort $(DEB_PKGS))) packages present"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=; \
	elif command -v sudo >/dev/null 2>&1; then sudo=sudo; echo "deps: not root, installing with sudo"; \
	else echo "deps: missing:$$missing; run 'make deps' as root (no sudo here)" >&2; exit 1; fi; \
	echo "deps: installing$$missing"; \
	$$sudo apt-get update -q && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing

# `make test` is one of the README's two commands: it installs what is missing, builds
# with both cores, then runs the host unit tests before the (slower) VM tests.
NPROC := $(shell nproc 2>/dev/null || echo 1)
test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) test-build
	@tests/run $(UNIT_TESTS) $(VM_TESTS)

test-build: $(UNIT_TESTS) $(VM_TESTS) image $(HOST_PROGS)

unit-test: $(UNIT_TESTS)
	@tests/run $(UNIT_TESTS)

vm-test: $(VM_TESTS) image $(HOST_PROGS)
	@tests/run $(VM_TESTS)

bench: $(BENCHES) image $(HOST_PROGS)
	@for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done

LINT_SRCS = $(shell git ls-files -- '*.c' '*.h' 2>/dev/null)
lint:
	@clang-format --dry-run --Werror $(LINT_SRCS)
	@cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--inline-suppr --std=c11 -I. --suppress=missingIncludeSystem \
		$(LINT_SRCS)
	@echo "lint: $(words $(LINT_SRCS)) files clean"

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) \( -name src -o -name kbuild \) -prune -o -type f -name '*.d' -print 2>/dev/null)
