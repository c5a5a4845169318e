# ih-doctor: the run-time hardening checks (doctor/), built static for the guest rootfs and
# on the host for the unit tests that feed the checks weakened trees.
#
# (guest/*/*.mk are read after this file: their variables are spelled out here.)
# Data built in: kernel/cmdline (the expected boot tokens, with the arch part if there is
# one) and guest/init/sysctl.conf (through guest/init/init.mk's generated header and
# guest/init/sysctl.c).
DOCTOR_SRCS := doctor/util.c doctor/checks_kernel.c doctor/checks_fs.c doctor/lists.c \
	doctor/inspect.c doctor/run.c guest/init/sysctl.c
# The live sandbox check starts children through the decoder's own sandbox (guest/sandbox/).
DOCTOR_SANDBOX_SRCS := doctor/sandbox.c guest/sandbox/sandbox.c guest/sandbox/landlock.c \
	guest/sandbox/seccomp_filter.c guest/decode/proto.c $(BUILD)/gen/seccomp_policy.c $(BUILD)/gen/limits_default.c
DOCTOR_SANDBOX_LIBS := -lseccomp
DOCTOR_CMDLINE_FILES := $(wildcard kernel/cmdline kernel/cmdline.$(ARCH))
DOCTOR_CMDLINE_H := $(OUT)/gen/doctor_cmdline.h

$(DOCTOR_CMDLINE_H): $(DOCTOR_CMDLINE_FILES) doctor/doctor.mk
	@mkdir -p $(@D)
	{ echo '/* Generated from kernel/cmdline by doctor/doctor.mk. */'; \
	  echo 'static const char ih_cmdline_expected[] ='; \
	  echo '	""'; \
	  for f in $(DOCTOR_CMDLINE_FILES); do \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/\t"&\\n"/' $$f; \
	  done; \
	  echo ';'; } >$@

# The numbers of kernel/defconfig.<arch> the doctor checks at run time, as #defines (one the
# defconfig lacks is 0: the doctor reports its check as skipped).
DOCTOR_KCONFIG := ARCH_MMAP_RND_BITS KFENCE_SAMPLE_INTERVAL
DOCTOR_KCONFIG_H := $(OUT)/gen/doctor_kconfig.h

$(DOCTOR_KCONFIG_H): kernel/defconfig.$(ARCH) doctor/doctor.mk
	@mkdir -p $(@D)
	{ echo '/* Generated from kernel/defconfig.$(ARCH) by doctor/doctor.mk. */'; \
	  for k in $(DOCTOR_KCONFIG); do \
	    v=$$(sed -n "s/^CONFIG_$$k=\([0-9][0-9]*\)$$/\1/p" $<); \
	    echo "#define IH_KCONFIG_$$k $${v:-0}"; \
	  done; } >$@

$(OUT)/obj/doctor/main.o: $(DOCTOR_CMDLINE_H) $(DOCTOR_KCONFIG_H) $(BUILD)/gen/sysctl_conf.h
$(OUT)/obj/doctor/main.o: CFLAGS_GUEST += -I$(OUT)/gen -I$(BUILD)/gen

$(OUT)/ih-doctor: $(patsubst %.c,$(OUT)/obj/%.o,$(DOCTOR_SRCS) $(DOCTOR_SANDBOX_SRCS) doctor/main.c)
	$(GUEST_CC) $(LDFLAGS_GUEST) -o $@ $^ $(DOCTOR_SANDBOX_LIBS)

# Unit tests: every check against a good fake tree, then each against its weakened variant.
DOCTOR_TEST_SRCS := tests/doctor/checks_test.c $(DOCTOR_SRCS)
$(HOSTOUT)/tests/doctor/checks_test: $(patsubst %.c,$(HOSTOUT)/%.o,$(DOCTOR_TEST_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^
$(ASANOUT)/tests/doctor/checks_test: $(patsubst %.c,$(ASANOUT)/%.o,$(DOCTOR_TEST_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^
UNIT_TESTS += $(HOSTOUT)/tests/doctor/checks_test $(ASANOUT)/tests/doctor/checks_test

# The live sandbox check on this host: a full child passes, each weakened child fails.
DOCTOR_SANDBOX_TEST_SRCS := tests/doctor/sandbox_test.c $(DOCTOR_SRCS) $(DOCTOR_SANDBOX_SRCS)
$(HOSTOUT)/tests/doctor/sandbox_test: $(patsubst %.c,$(HOSTOUT)/%.o,$(DOCTOR_SANDBOX_TEST_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(DOCTOR_SANDBOX_LIBS)
$(ASANOUT)/tests/doctor/sandbox_test: $(patsubst %.c,$(ASANOUT)/%.o,$(DOCTOR_SANDBOX_TEST_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^ $(DOCTOR_SANDBOX_LIBS)
UNIT_TESTS += $(HOSTOUT)/tests/doctor/sandbox_test $(ASANOUT)/tests/doctor/sandbox_test

# ih.mode=doctor in the guest init (doctor/mode.c): guest/init/init.mk links every object its
# binary depends on.
$(OUT)/guest/init: $(OUT)/obj/doctor/mode.o $(OUT)/obj/guest/init/vsock_host.o

.PHONY: doctor
doctor: $(OUT)/ih-doctor
$(HOSTOUT)/tests/doctor/%.o: CFLAGS_HOST += -Idoctor -Itests
$(ASANOUT)/tests/doctor/%.o: CFLAGS_ASAN += -Idoctor -Itests
$(OUT)/obj/guest/init/init.o: CFLAGS_GUEST += -Idoctor

# In the VM: the real image passes every check; a weakened one fails exactly the matching ones.
VM_TESTS += tests/doctor/vm_doctor.test
