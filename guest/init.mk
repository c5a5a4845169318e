# Guest PID 1 (guest/init.c) and the boot floor's do-nothing init (guest/floor.c), both
# static-pie. A mode living in another file adds its object as a prerequisite of
# $(INIT_BIN) in its own fragment ("$(INIT_BIN): $(OUT)/obj/guest/serve.o") and any
# library to INIT_LIBS: the link takes every object it depends on.

INIT_BIN := $(OUT)/guest/init
INIT_LIBS :=

# The hardening sysctls: one table (guest/sysctl.conf), built into the init as a C string,
# applied by the init before any mode runs and checked by the doctor against the same text.
SYSCTL_CONF_H := $(BUILD)/gen/sysctl_conf.h
$(SYSCTL_CONF_H): guest/sysctl.conf
	@mkdir -p $(@D)
	{ echo '/* Generated from guest/sysctl.conf by guest/init.mk. */'; \
	  echo 'static const char ih_sysctl_conf[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/\t"&\\n"/' $<; \
	  echo ';'; } >$@

$(OUT)/obj/guest/init.o: $(SYSCTL_CONF_H)
$(OUT)/obj/guest/init.o: CFLAGS_GUEST += -I$(BUILD)/gen

$(INIT_BIN): $(OUT)/obj/guest/init.o $(OUT)/obj/guest/sysctl.o $(OUT)/obj/guest/run_prog.o
	@mkdir -p $(@D)
	$(GUEST_CC) $(LDFLAGS_GUEST) -o $@ $(filter %.o,$^) $(INIT_LIBS)

$(OUT)/guest/floor: $(OUT)/obj/guest/floor.o
	@mkdir -p $(@D)
	$(GUEST_CC) $(LDFLAGS_GUEST) -o $@ $^

# Unit test of the sysctl table and its applier (host, and under ASan+UBSan).
SYSCTL_TEST_SRCS := tests/e2e/sysctl_test.c guest/sysctl.c
$(HOSTOUT)/tests/e2e/sysctl_test.o $(ASANOUT)/tests/e2e/sysctl_test.o: $(SYSCTL_CONF_H)
$(HOSTOUT)/tests/e2e/sysctl_test.o: CFLAGS_HOST += -I$(BUILD)/gen
$(ASANOUT)/tests/e2e/sysctl_test.o: CFLAGS_ASAN += -I$(BUILD)/gen
$(HOSTOUT)/tests/e2e/sysctl_test: $(patsubst %.c,$(HOSTOUT)/%.o,$(SYSCTL_TEST_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^
$(ASANOUT)/tests/e2e/sysctl_test: $(patsubst %.c,$(ASANOUT)/%.o,$(SYSCTL_TEST_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^
UNIT_TESTS += $(HOSTOUT)/tests/e2e/sysctl_test $(ASANOUT)/tests/e2e/sysctl_test
