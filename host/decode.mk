# `ih-vm decode` and `ih-vm policy`: options, backends (process here; vm in host/vm.mk's
# files), output writers. The decoding library comes from guest/decoder.mk.
IHVM_SRCS += host/backend_process.c host/backend_vm.c
IHVM_SRCS += host/decode_opts.c host/output.c

# The command line, end to end (a script: it runs the hardened ih-vm and gen-corpus).
UNIT_TESTS += tests/decoder/test_cli.sh
tests/decoder/test_cli.sh: $(HOSTOUT)/ih-vm $(HOSTOUT)/tests/corpus/gen-corpus

# The same, dropped to uid 65534 when run as root.
UNIT_TESTS += tests/decoder/test_unpriv.sh
tests/decoder/test_unpriv.sh: $(HOSTOUT)/ih-vm $(HOSTOUT)/tests/corpus/gen-corpus \
	$(HOSTOUT)/tests/decoder/test_escape $(HOSTOUT)/tests/decoder/test_decode \
	$(HOSTOUT)/tests/decoder/test_degraded
