# Booting the guest under QEMU: accelerator choice, QEMU command line and supervised run,
# `ih-vm boot`; their unit tests (also under ASan+UBSan), the boot VM tests and the boot
# time benchmark.

DEB_PKGS += qemu-system-x86
IHVM_SRCS += host/qemu.c host/accel.c
