# make bench: `ih-vm decode` cold and warm through the microVM, next to the boot floor and the
# in-guest bare decode (tests/bench_e2e.c). It links the launcher's sources but its main, so
# it sits in a fragment read after every host/*.mk has added to IHVM_SRCS.
BENCH_E2E_SRCS := tests/bench_e2e.c tests/corpus/corpus.c \
	$(filter-out host/cli/ih-vm.c,$(IHVM_SRCS)) $(DECODE_SRCS)
$(HOSTOUT)/tests/bench_e2e: $(patsubst %.c,$(HOSTOUT)/%.o,$(BENCH_E2E_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^ $(DECODE_LIBS) $(IHVM_LIBS)
$(HOSTOUT)/tests/bench_e2e.o: CFLAGS_HOST += -Itests
BENCHES += $(HOSTOUT)/tests/bench_e2e
