# The vsock transport of the launcher: built-in vhost-user-vsock backend (and AF_VSOCK).
VSOCK_SRCS := host/vsock.c host/vsock_loop.c host/vsock_proto.c host/vsock_conn.c \
	host/vsock_ctl.c host/vsock_log.c host/vhost_user.c host/virtq.c host/vu_mem.c
IHVM_SRCS += $(VSOCK_SRCS)
DEB_PKGS += clang-14 libclang-rt-14-dev

VSOCK_TEST_SRCS := tests/vsock/test_vsock.c tests/vsock/fake_guest.c
UNIT_TESTS += $(HOSTOUT)/tests/vsock/test_vsock $(ASANOUT)/tests/vsock/test_vsock

$(HOSTOUT)/tests/vsock/test_vsock: $(patsubst %.c,$(HOSTOUT)/%.o,$(VSOCK_TEST_SRCS) $(VSOCK_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^ -lpthread
$(ASANOUT)/tests/vsock/test_vsock: $(patsubst %.c,$(ASANOUT)/%.o,$(VSOCK_TEST_SRCS) $(VSOCK_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^ -lpthread
