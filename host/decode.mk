# `ih-vm decode` and `ih-vm policy`: options, backends (process here; vm in host/vm.mk's
# files), output writers. The decoding library comes from guest/decoder.mk.
IHVM_SRCS += host/backend_process.c host/backend_vm.c
IHVM_SRCS += host/decode_opts.c host/output.c
