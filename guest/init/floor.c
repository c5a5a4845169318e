/*
 * The boot floor's init: a do-nothing PID 1 that ends the VM at once. make bench boots the
 * same kernel with this as the initramfs /init; the time that takes is what every cold
 * decode pays before any of ImageHarden's own work starts (tests/bench_boot).
 *
 * It resets rather than powers off for the reason given in guest/init/init.c (no ACPI).
 */
#include <sys/reboot.h>
#include <unistd.h>

int main(void)
{
	reboot(RB_AUTOBOOT);
	return 1;
}
