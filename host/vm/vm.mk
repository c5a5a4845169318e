# The backends of `ih-vm decode` (host/vm/): process (the sandboxed child on this host) and
# vm (the VM's life, the QEMU start under the jail, the protocol client), with the client's
# unit test against a fake guest. May call host/jail/, host/qemu/, host/vsock/ and the
# decoding library; never host/cli/ or host/doctor/.
IHVM_SRCS += host/vm/backend_process.c host/vm/backend_vm.c host/vm/vm.c host/vm/vm_client.c \
	host/vm/vm_qemu.c
# djpeg (the e2e tests' native JPEG decode), ppmpat and cjpeg (make demo's sample image).
DEB_PKGS += libjpeg-turbo-progs netpbm

VM_CLIENT_TEST_SRCS := tests/e2e/vm_client_test.c host/vm/vm_client.c guest/decode/proto.c \
	$(BUILD)/gen/limits_default.c
$(HOSTOUT)/tests/e2e/vm_client_test: $(patsubst %.c,$(HOSTOUT)/%.o,$(VM_CLIENT_TEST_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^
$(ASANOUT)/tests/e2e/vm_client_test: $(patsubst %.c,$(ASANOUT)/%.o,$(VM_CLIENT_TEST_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^
UNIT_TESTS += $(HOSTOUT)/tests/e2e/vm_client_test $(ASANOUT)/tests/e2e/vm_client_test

# End-to-end VM tests: `ih-vm decode` through the real image under TCG (tests/e2e/).
E2E_LIB := tests/e2e/e2e.c host/qemu/qemu.c
$(HOSTOUT)/tests/e2e/corpus_vm_test: $(patsubst %.c,$(HOSTOUT)/%.o,tests/e2e/corpus_vm_test.c \
		$(E2E_LIB) tests/corpus/corpus.c)
	$(CC) $(LDFLAGS_HOST) -o $@ $^ -lpng16 -ljpeg -lz -lm
$(HOSTOUT)/tests/e2e/faults_vm_test: $(patsubst %.c,$(HOSTOUT)/%.o,tests/e2e/faults_vm_test.c \
		$(E2E_LIB) tests/corpus/corpus.c)
	$(CC) $(LDFLAGS_HOST) -o $@ $^ -lpng16 -ljpeg -lz -lm
$(HOSTOUT)/tests/e2e/batch_vm_test: $(patsubst %.c,$(HOSTOUT)/%.o,tests/e2e/batch_vm_test.c \
		$(E2E_LIB) tests/corpus/corpus.c tests/corpus/formats.c)
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(CORPUS_LIBS)
VM_TESTS += $(HOSTOUT)/tests/e2e/corpus_vm_test $(HOSTOUT)/tests/e2e/faults_vm_test \
	$(HOSTOUT)/tests/e2e/batch_vm_test tests/e2e/install.test

# make demo: the README's run command. Generates a sample photo-sized JPEG (netpbm and
# libjpeg-turbo-progs, both in DEB_PKGS), decodes it inside the microVM into a PNG and says
# where it went. Like `make test`, it first installs what is missing, then builds with every core.
DEMO_DIR := $(BUILD)/demo
.PHONY: demo-run
demo: deps
	@$(MAKE) --no-print-directory -j$(NPROC) demo-run
demo-run: image $(HOSTOUT)/ih-vm
	@mkdir -p $(DEMO_DIR)
	ppmpat -camo -randomseed=7 1024 768 | cjpeg -quality 90 >$(DEMO_DIR)/sample.jpg
	$(HOSTOUT)/ih-vm decode --verbose -o $(DEMO_DIR)/sample.png $(DEMO_DIR)/sample.jpg
	@echo "demo: $(DEMO_DIR)/sample.jpg was decoded inside the hardened microVM into" \
		"$(abspath $(DEMO_DIR)/sample.png)"
