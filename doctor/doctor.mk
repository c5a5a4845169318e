# ih-doctor: the run-time hardening checks (doctor/), built static for the guest rootfs and
# on the host for the unit tests that feed the checks weakened trees.
#
# (guest/serve.mk is read after this file: its variables are spelled out here.)
# Data built in: kernel/cmdline (the expected boot tokens, with the arch part if there is
# one) and guest/sysctl.conf (through guest/serve.mk's generated header and its parser).
DOCTOR_SRCS := doctor/util.c doctor/checks_kernel.c doctor/checks_fs.c doctor/lists.c \
	doctor/inspect.c doctor/run.c guest/serve_sysctl.c
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

$(OUT)/obj/doctor/main.o: $(DOCTOR_CMDLINE_H) $(BUILD)/gen/sysctl_conf.h
$(OUT)/obj/doctor/main.o: CFLAGS_GUEST += -I$(OUT)/gen -I$(BUILD)/gen

$(OUT)/ih-doctor: $(patsubst %.c,$(OUT)/obj/%.o,$(DOCTOR_SRCS) doctor/main.c)
	$(GUEST_CC) $(LDFLAGS_GUEST) -o $@ $^

# Unit tests: every check against a good fake tree, then each against its weakened variant.
DOCTOR_TEST_SRCS := tests/doctor/checks_test.c $(DOCTOR_SRCS)
$(HOSTOUT)/tests/doctor/checks_test: $(patsubst %.c,$(HOSTOUT)/%.o,$(DOCTOR_TEST_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^
$(ASANOUT)/tests/doctor/checks_test: $(patsubst %.c,$(ASANOUT)/%.o,$(DOCTOR_TEST_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^
UNIT_TESTS += $(HOSTOUT)/tests/doctor/checks_test $(ASANOUT)/tests/doctor/checks_test

# ih.mode=doctor in the guest init (doctor/mode.c): guest/init.mk links every object its
# binary depends on.
$(OUT)/guest/init: $(OUT)/obj/doctor/mode.o $(OUT)/obj/guest/serve_sysctl.o
$(OUT)/obj/doctor/mode.o: $(BUILD)/gen/sysctl_conf.h
$(OUT)/obj/doctor/mode.o: CFLAGS_GUEST += -I$(BUILD)/gen

.PHONY: doctor
doctor: $(OUT)/ih-doctor
$(HOSTOUT)/tests/doctor/%.o: CFLAGS_HOST += -Idoctor -Itests
$(ASANOUT)/tests/doctor/%.o: CFLAGS_ASAN += -Idoctor -Itests
$(OUT)/obj/guest/init.o: CFLAGS_GUEST += -Idoctor
