# The guest's decode service (guest/serve.c), linked into /sbin/init.
SERVE_SRCS := guest/serve.c guest/vsock_host.c
SERVE_OBJS := $(patsubst %.c,$(OUT)/obj/%.o,$(SERVE_SRCS))

# ih.mode=serve in the guest init: guest/init.mk links every object its binary depends on
# (guest/decoder.mk, read before this file, has set DECODE_SRCS and DECODE_LIBS).
$(OUT)/guest/init: $(SERVE_OBJS) $(patsubst %.c,$(OUT)/obj/%.o,$(DECODE_SRCS))
INIT_LIBS += $(DECODE_LIBS)

# The service loop on the host against a fake launcher on a socketpair (also ASan+UBSan).
SERVE_TEST_SRCS := tests/e2e/serve_test.c $(SERVE_SRCS) tests/corpus/corpus.c $(DECODE_SRCS)
$(HOSTOUT)/tests/e2e/serve_test: $(patsubst %.c,$(HOSTOUT)/%.o,$(SERVE_TEST_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(DECODE_LIBS)
$(ASANOUT)/tests/e2e/serve_test: $(patsubst %.c,$(ASANOUT)/%.o,$(SERVE_TEST_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^ $(DECODE_LIBS)
UNIT_TESTS += $(HOSTOUT)/tests/e2e/serve_test $(ASANOUT)/tests/e2e/serve_test
