# The guest init (guest/init/): PID 1 (init.c) with its modes (the decode service serve.c,
# the vsock test mode), the hardening sysctls, the vsock client, and the boot floor's
# do-nothing init (floor.c). May call guest/sandbox/ and guest/decode/.
# A mode living in another file adds its object as a prerequisite of $(INIT_BIN) in its own
# fragment ("$(INIT_BIN): $(OUT)/obj/guest/init/serve.o") and any library to INIT_LIBS:
# the link takes every object it depends on.
#
# The init is a PIE that links shared libraries (guest/README.md): each -lNAME of INIT_LIBS
# statically when the guest compiler finds libNAME.a, shared when Debian ships only the .so
# (liblcms2), and glibc's own libraries always shared (their archives must not be mixed with
# a shared libc). rootfs/gen-libs puts its loader and exactly the libraries it needs into the
# root. The floor init stays static-pie: its initramfs holds no loader.

INIT_BIN := $(OUT)/guest/init
INIT_LIBS :=
GUEST_LIBC_LIBS := -lc -lm -lpthread -ldl -lrt
guest_archive = $(filter /%,$(shell $(GUEST_CC) -print-file-name=lib$(1:-l%=%).a))
INIT_LIBS_STATIC = $(strip $(foreach l,$(filter-out $(GUEST_LIBC_LIBS),$(filter -l%,$(INIT_LIBS))),\
	$(if $(call guest_archive,$(l)),$(l))))
INIT_LIBS_SHARED = $(filter-out $(INIT_LIBS_STATIC),$(INIT_LIBS))

# The hardening sysctls: one table (guest/init/sysctl.conf), built into the init as a C string,
# applied by the init before any mode runs and checked by the doctor against the same text.
SYSCTL_CONF_H := $(BUILD)/gen/sysctl_conf.h
$(SYSCTL_CONF_H): guest/init/sysctl.conf
	@mkdir -p $(@D)
	{ echo '/* Generated from guest/init/sysctl.conf by guest/init/init.mk. */'; \
	  echo 'static const char ih_sysctl_conf[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/\t"&\\n"/' $<; \
	  echo ';'; } >$@

$(OUT)/obj/guest/init/init.o: $(SYSCTL_CONF_H)
$(OUT)/obj/guest/init/init.o: CFLAGS_GUEST += -I$(BUILD)/gen

$(INIT_BIN): $(OUT)/obj/guest/init/init.o $(OUT)/obj/guest/init/sysctl.o $(OUT)/obj/guest/init/run_prog.o
	@mkdir -p $(@D)
	$(GUEST_CC) $(LDFLAGS_GUEST_SHARED) -o $@ $(filter %.o,$^) \
		-Wl,-Bstatic $(INIT_LIBS_STATIC) -Wl,-Bdynamic -Wl,--as-needed $(INIT_LIBS_SHARED)

$(OUT)/guest/floor: $(OUT)/obj/guest/init/floor.o
	@mkdir -p $(@D)
	$(GUEST_CC) $(LDFLAGS_GUEST) -o $@ $^

# Unit test of the sysctl table and its applier (host, and under ASan+UBSan).
SYSCTL_TEST_SRCS := tests/e2e/sysctl_test.c guest/init/sysctl.c
$(HOSTOUT)/tests/e2e/sysctl_test.o $(ASANOUT)/tests/e2e/sysctl_test.o: $(SYSCTL_CONF_H)
$(HOSTOUT)/tests/e2e/sysctl_test.o: CFLAGS_HOST += -I$(BUILD)/gen
$(ASANOUT)/tests/e2e/sysctl_test.o: CFLAGS_ASAN += -I$(BUILD)/gen
$(HOSTOUT)/tests/e2e/sysctl_test: $(patsubst %.c,$(HOSTOUT)/%.o,$(SYSCTL_TEST_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^
$(ASANOUT)/tests/e2e/sysctl_test: $(patsubst %.c,$(ASANOUT)/%.o,$(SYSCTL_TEST_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^
UNIT_TESTS += $(HOSTOUT)/tests/e2e/sysctl_test $(ASANOUT)/tests/e2e/sysctl_test

# The guest's decode service (guest/init/serve.c), linked into /sbin/init.
SERVE_SRCS := guest/init/serve.c guest/init/vsock_host.c
SERVE_OBJS := $(patsubst %.c,$(OUT)/obj/%.o,$(SERVE_SRCS))

# ih.mode=serve in the guest init (guest/decode/decode.mk and guest/sandbox/sandbox.mk,
# read before this file, have set DECODE_SRCS and DECODE_LIBS).
$(OUT)/guest/init: $(SERVE_OBJS) $(patsubst %.c,$(OUT)/obj/%.o,$(DECODE_SRCS))
INIT_LIBS += $(DECODE_LIBS)

# The service loop on the host against a fake launcher on a socketpair (also ASan+UBSan).
SERVE_TEST_SRCS := tests/e2e/serve_test.c $(SERVE_SRCS) tests/corpus/corpus.c $(DECODE_SRCS)
$(HOSTOUT)/tests/e2e/serve_test: $(patsubst %.c,$(HOSTOUT)/%.o,$(SERVE_TEST_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(DECODE_LIBS)
$(ASANOUT)/tests/e2e/serve_test: $(patsubst %.c,$(ASANOUT)/%.o,$(SERVE_TEST_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^ $(DECODE_LIBS)
UNIT_TESTS += $(HOSTOUT)/tests/e2e/serve_test $(ASANOUT)/tests/e2e/serve_test
