# Decode farms (tests/farm/): the records parser and the shards as unit tests (also under
# ASan+UBSan), a short libFuzzer run over the records reader, a VM test that runs the
# example Slurm array on a one-node cluster started for it, and the farm bench.
DEB_PKGS += slurm-wlm munge

FARM_UNIT_SRCS := host/cli/records.c host/cli/manifest.c host/cli/shard.c
$(HOSTOUT)/tests/farm/test_records: $(patsubst %.c,$(HOSTOUT)/%.o,tests/farm/test_records.c \
		$(FARM_UNIT_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^
$(ASANOUT)/tests/farm/test_records: $(patsubst %.c,$(ASANOUT)/%.o,tests/farm/test_records.c \
		$(FARM_UNIT_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^
$(HOSTOUT)/tests/farm/test_shard: $(patsubst %.c,$(HOSTOUT)/%.o,tests/farm/test_shard.c \
		$(FARM_UNIT_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^
$(ASANOUT)/tests/farm/test_shard: $(patsubst %.c,$(ASANOUT)/%.o,tests/farm/test_shard.c \
		$(FARM_UNIT_SRCS))
	$(CC) $(LDFLAGS_ASAN) -o $@ $^
UNIT_TESTS += $(HOSTOUT)/tests/farm/test_records $(ASANOUT)/tests/farm/test_records \
	$(HOSTOUT)/tests/farm/test_shard $(ASANOUT)/tests/farm/test_shard

# The inputs' queue of --jobs N (host/cli/work_queue.c).
$(HOSTOUT)/tests/farm/test_work_queue: $(patsubst %.c,$(HOSTOUT)/%.o,tests/farm/test_work_queue.c \
		host/cli/work_queue.c)
	$(CC) $(LDFLAGS_HOST) -o $@ $^
$(ASANOUT)/tests/farm/test_work_queue: $(patsubst %.c,$(ASANOUT)/%.o,tests/farm/test_work_queue.c \
		host/cli/work_queue.c)
	$(CC) $(LDFLAGS_ASAN) -o $@ $^
UNIT_TESTS += $(HOSTOUT)/tests/farm/test_work_queue $(ASANOUT)/tests/farm/test_work_queue

# libFuzzer over the records reader and parser (what --resume and `ih-vm report` read):
# `make fuzz-records FUZZ_SECONDS=N`, and a short run among the unit tests.
$(BUILD)/fuzz/fuzz_records: tests/farm/fuzz_records.c host/cli/records.c host/cli/records.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)
UNIT_TESTS += tests/farm/fuzz_records.test
tests/farm/fuzz_records.test: $(BUILD)/fuzz/fuzz_records
.PHONY: fuzz-records
fuzz: fuzz-records
fuzz-records: $(BUILD)/fuzz/fuzz_records
	IH_BUILD=$(BUILD) IH_FUZZ_SECONDS=$(FUZZ_SECONDS) tests/farm/fuzz_records.test

# The farm on a real one-node Slurm cluster: the checker generates the manifest and checks
# the records and outputs; the script runs the cluster (tests/farm/slurm.test).
FARM_CHECK_SRCS := tests/farm/farm_check.c tests/e2e/e2e.c host/qemu/qemu.c tests/corpus/corpus.c
$(HOSTOUT)/tests/farm/farm_check: $(patsubst %.c,$(HOSTOUT)/%.o,$(FARM_CHECK_SRCS))
	$(CC) $(LDFLAGS_HOST) -o $@ $^ -lpng16 -ljpeg -lz -lm
VM_TESTS += tests/farm/slurm.test
tests/farm/slurm.test: $(HOSTOUT)/tests/farm/farm_check $(HOSTOUT)/ih-vm

# make bench: images/s over the same manifest, one ih-vm --jobs 2 against the Slurm array.
BENCHES += tests/farm/bench_farm.sh
tests/farm/bench_farm.sh: $(HOSTOUT)/tests/farm/farm_check $(HOSTOUT)/ih-vm
