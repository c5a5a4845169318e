# The guest's decode service (guest/serve.c) and its sysctl table, linked into /sbin/init.
# SERVE_OBJS is what the init's link rule takes; guest/sysctl.conf is built in as a C string.
SERVE_SRCS := guest/serve.c guest/serve_sysctl.c
SERVE_OBJS := $(patsubst %.c,$(OUT)/obj/%.o,$(SERVE_SRCS))
SYSCTL_CONF_H := $(BUILD)/gen/sysctl_conf.h

$(SYSCTL_CONF_H): guest/sysctl.conf
	@mkdir -p $(@D)
	{ echo '/* Generated from guest/sysctl.conf by guest/serve.mk. */'; \
	  echo 'static const char ih_sysctl_conf[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/\t"&\\n"/' $<; \
	  echo ';'; } >$@

$(OUT)/obj/guest/serve.o: $(SYSCTL_CONF_H)
$(OUT)/obj/guest/serve.o: CFLAGS_GUEST += -I$(BUILD)/gen

# Unit test of the table and its applier (host, and under ASan+UBSan).
SYSCTL_TEST_SRCS := tests/e2e/serve_sysctl_test.c guest/serve_sysctl.c
$(HOSTOUT)/tests/e2e/serve_sysctl_test.o $(ASANOUT)/tests/e2e/serve_sysctl_test.o: $(SYSCTL_CONF_H)
$(HOSTOUT)/tests/e2e/serve_sysctl_test.o: CFLAGS_HOST += -I$(BUILD)/gen
$(ASANOUT)/tests/e2e/serve_sysctl_test.o: CFLAGS_ASAN += -I$(BUILD)/gen
$(HOSTOUT)/tests/e2e/serve_sysctl_test: $(patsubst %.c,$(HOSTOUT)/%.o,$(SYSCTL_TEST_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^
$(ASANOUT)/tests/e2e/serve_sysctl_test: $(patsubst %.c,$(ASANOUT)/%.o,$(SYSCTL_TEST_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^
UNIT_TESTS += $(HOSTOUT)/tests/e2e/serve_sysctl_test $(ASANOUT)/tests/e2e/serve_sysctl_test

# ih.mode=serve in the guest init: guest/init.mk links every object its binary depends on
# (guest/decoder.mk, read before this file, has set DECODE_SRCS and DECODE_LIBS).
$(OUT)/guest/init: $(SERVE_OBJS) $(patsubst %.c,$(OUT)/obj/%.o,$(DECODE_SRCS))
INIT_LIBS += $(DECODE_LIBS)

# The service loop on the host against a fake launcher on a socketpair (also ASan+UBSan).
SERVE_TEST_SRCS := tests/e2e/serve_test.c $(SERVE_SRCS) tests/corpus/corpus.c $(DECODE_SRCS)
$(HOSTOUT)/guest/serve.o $(ASANOUT)/guest/serve.o: $(SYSCTL_CONF_H)
$(HOSTOUT)/guest/serve.o: CFLAGS_HOST += -I$(BUILD)/gen
$(ASANOUT)/guest/serve.o: CFLAGS_ASAN += -I$(BUILD)/gen
$(HOSTOUT)/tests/e2e/serve_test: $(patsubst %.c,$(HOSTOUT)/%.o,$(SERVE_TEST_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(DECODE_LIBS)
$(ASANOUT)/tests/e2e/serve_test: $(patsubst %.c,$(ASANOUT)/%.o,$(SERVE_TEST_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^ $(DECODE_LIBS)
UNIT_TESTS += $(HOSTOUT)/tests/e2e/serve_test $(ASANOUT)/tests/e2e/serve_test
