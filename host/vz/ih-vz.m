/*
 * ih-vz: runs the ImageHarden arm64 guest under Apple's Virtualization.framework (macOS on
 * Apple silicon), the counterpart of QEMU for the ih-vm launcher. It only builds and runs
 * the VM; ih-vm speaks the wire protocol. Every guest connection to the decode port is
 * handed to ih-vm as a file descriptor (SCM_RIGHTS) over the unix socket given by --fd.
 *
 * The VM: VZLinuxBootLoader with the uncompressed Image, the initramfs and the command
 * line; the read-only rootfs as a virtio block device; a virtio console on stderr (hvc0);
 * one virtio socket device; no network, no shared directory, no entropy or balloon device.
 *
 * In our protocol the guest connects to the host (CID 2, IH_VSOCK_PORT), so ih-vz listens
 * with VZVirtioSocketListener; connectToPort: (host to guest) is not used.
 *
 * usage: ih-vz --kernel IMAGE --initrd CPIO --rootfs SQUASHFS --cmdline TEXT --fd N
 *              [--port P] [--cpus N] [--memory-mib N]
 * exit codes as ih-vm: 0 the guest powered off, 2 usage, 3 VM or system failure.
 */
#import <Foundation/Foundation.h>
#import <Virtualization/Virtualization.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/cli/cmd.h"
#include "guest/decode/proto.h"

struct vz_opts {
	const char *kernel, *initrd, *rootfs, *cmdline;
	int fd; /* unix socket to ih-vm: guest connections go there */
	unsigned long port, cpus, memory_mib;
};

/* Sends one open fd over the unix socket `sock`. 0 or -errno. */
static int send_fd(int sock, int fd)
{
	char byte = 'c';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	memset(&ctl, 0, sizeof(ctl));
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

/* Hands each guest connection on the decode port to ih-vm; the VM's stop ends the run. */
@interface IHVZHost : NSObject <VZVirtioSocketListenerDelegate, VZVirtualMachineDelegate>
@property(nonatomic) int fd;
@end

@implementation IHVZHost
- (BOOL)listener:(VZVirtioSocketListener *)listener
	shouldAcceptNewConnection:(VZVirtioSocketConnection *)conn
		 fromSocketDevice:(VZVirtioSocketDevice *)device
{
	/* The connection object owns its fd and closes it when released: pass a duplicate. */
	int dup_fd = fcntl(conn.fileDescriptor, F_DUPFD_CLOEXEC, 3);
	int err = dup_fd < 0 ? -errno : send_fd(self.fd, dup_fd);

	if (dup_fd >= 0)
		close(dup_fd);
	if (err)
		fprintf(stderr, "ih-vz: cannot pass a guest connection to ih-vm: %s\n",
			strerror(-err));
	return err == 0;
}

- (void)guestDidStopVirtualMachine:(VZVirtualMachine *)vm
{
	exit(IH_EXIT_OK);
}

- (void)virtualMachine:(VZVirtualMachine *)vm didStopWithError:(NSError *)error
{
	fprintf(stderr, "ih-vz: the VM stopped: %s\n", error.localizedDescription.UTF8String);
	exit(IH_EXIT_SYSTEM);
}
@end

/* ih-vm closing its end of --fd means it is done with the guest: the VM goes with us. */
static void stop_when_launcher_leaves(int fd)
{
	dispatch_source_t src =
		dispatch_source_create(DISPATCH_SOURCE_TYPE_READ, fd, 0, dispatch_get_main_queue());

	dispatch_source_set_event_handler(src, ^(void) {
		char byte;
		ssize_t n = recv(fd, &byte, 1, MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			exit(IH_EXIT_OK);
	});
	dispatch_resume(src);
}

static NSURL *file_url(const char *path)
{
	return [NSURL fileURLWithPath:[NSString stringWithUTF8String:path]];
}

/* The whole machine, validated. nil (and a message) when the framework refuses it. */
static VZVirtualMachineConfiguration *vm_config(const struct vz_opts *o)
{
	VZLinuxBootLoader *boot = [[VZLinuxBootLoader alloc] initWithKernelURL:file_url(o->kernel)];
	VZVirtualMachineConfiguration *cfg = [[VZVirtualMachineConfiguration alloc] init];
	VZVirtioConsoleDeviceSerialPortConfiguration *console =
		[[VZVirtioConsoleDeviceSerialPortConfiguration alloc] init];
	VZDiskImageStorageDeviceAttachment *disk;
	NSError *err = nil;

	boot.initialRamdiskURL = file_url(o->initrd);
	boot.commandLine = [NSString stringWithUTF8String:o->cmdline];
	cfg.bootLoader = boot;
	cfg.CPUCount = o->cpus;
	cfg.memorySize = (uint64_t)o->memory_mib << 20;

	disk = [[VZDiskImageStorageDeviceAttachment alloc] initWithURL:file_url(o->rootfs)
							       readOnly:YES
								  error:&err];
	if (!disk) {
		fprintf(stderr, "ih-vz: %s: %s\n", o->rootfs, err.localizedDescription.UTF8String);
		return nil;
	}
	cfg.storageDevices = @[ [[VZVirtioBlockDeviceConfiguration alloc] initWithAttachment:disk] ];

	console.attachment = [[VZFileHandleSerialPortAttachment alloc]
		initWithFileHandleForReading:nil
			fileHandleForWriting:[NSFileHandle fileHandleWithStandardError]];
	cfg.serialPorts = @[ console ];
	cfg.socketDevices = @[ [[VZVirtioSocketDeviceConfiguration alloc] init] ];
	cfg.networkDevices = @[];

	if (![cfg validateWithError:&err]) {
		fprintf(stderr, "ih-vz: invalid VM: %s\n", err.localizedDescription.UTF8String);
		return nil;
	}
	return cfg;
}

/* Parses a decimal number in [min, max]. 0 or -EINVAL. */
static int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct vz_opts *o)
{
	unsigned long fd = 0;

	*o = (struct vz_opts){ .fd = -1, .port = IH_VSOCK_PORT, .cpus = 1, .memory_mib = 256 };
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		int err = 0;

		if (!strcmp(k, "--kernel"))
			o->kernel = v;
		else if (!strcmp(k, "--initrd"))
			o->initrd = v;
		else if (!strcmp(k, "--rootfs"))
			o->rootfs = v;
		else if (!strcmp(k, "--cmdline"))
			o->cmdline = v;
		else if (!strcmp(k, "--fd"))
			err = parse_ulong(v, 3, 65535, &fd);
		else if (!strcmp(k, "--port"))
			err = parse_ulong(v, 1, UINT32_MAX, &o->port);
		else if (!strcmp(k, "--cpus"))
			err = parse_ulong(v, 1, 64, &o->cpus);
		else if (!strcmp(k, "--memory-mib"))
			err = parse_ulong(v, 64, 65536, &o->memory_mib);
		else
			err = -EINVAL;
		if (err)
			return err;
	}
	o->fd = (int)fd;
	if (argc % 2 == 0 || !o->kernel || !o->initrd || !o->rootfs || !o->cmdline || o->fd < 0)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct vz_opts o;

	if (parse_opts(argc, argv, &o)) {
		fprintf(stderr, "usage: ih-vz --kernel IMAGE --initrd CPIO --rootfs SQUASHFS "
				"--cmdline TEXT --fd N [--port P] [--cpus N] [--memory-mib N]\n");
		return IH_EXIT_USAGE;
	}
	@autoreleasepool {
		VZVirtualMachineConfiguration *cfg = vm_config(&o);
		IHVZHost *host = [[IHVZHost alloc] init];
		VZVirtioSocketListener *listener = [[VZVirtioSocketListener alloc] init];
		VZVirtualMachine *vm;

		if (!cfg)
			return IH_EXIT_SYSTEM;
		if (![VZVirtualMachine isSupported]) {
			fprintf(stderr, "ih-vz: Virtualization.framework is not available here\n"
					"Hint: it needs Apple silicon, macOS 12 or later, and the "
					"com.apple.security.virtualization entitlement (see "
					"host/vz/README.md)\n");
			return IH_EXIT_SYSTEM;
		}
		host.fd = o.fd;
		listener.delegate = host;
		/* The VM and its devices belong to the main queue: every call below runs there. */
		vm = [[VZVirtualMachine alloc] initWithConfiguration:cfg];
		vm.delegate = host;
		[(VZVirtioSocketDevice *)vm.socketDevices.firstObject setSocketListener:listener
										forPort:(uint32_t)o.port];
		stop_when_launcher_leaves(o.fd);
		[vm startWithCompletionHandler:^(NSError *err) {
			if (err) {
				fprintf(stderr, "ih-vz: cannot start the VM: %s\n",
					err.localizedDescription.UTF8String);
				exit(IH_EXIT_SYSTEM);
			}
		}];
		dispatch_main();
	}
}
