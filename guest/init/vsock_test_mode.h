/* ih.mode=vsock-test in the guest init: runs /sbin/ih-vsock-test (TEST rootfs only). */
#ifndef IH_GUEST_VSOCK_TEST_MODE_H
#define IH_GUEST_VSOCK_TEST_MODE_H

int ih_vsock_test_mode(void);

#endif
