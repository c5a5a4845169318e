#!/bin/bash
# make bench: images/s of one decode-farm manifest (the 207 generated images of
# tests/farm/farm_check, good and hostile) through the microVMs, two ways on this one node:
#
#   baseline  one `ih-vm decode --jobs 2 --manifest ... --records ...`: 2 warm VMs
#   slurm     the example array (host/farm/slurm/decode.sbatch) of 4 tasks on a one-node
#             cluster whose node has this machine's CPUs (2 here): each task one VM
#             (--cpus-per-task=1), so 2 at a time, each booting its own VM; timed from
#             sbatch to the last task gone from squeue
#
# The difference is the scheduling overhead: Slurm's dispatch plus one more VM boot per
# task. The cluster's start and stop are not timed. IH_BUILD: another build directory.
set -u
cd "$(dirname "$0")/../.."
build=${IH_BUILD:-build}
ihvm=$(realpath "$build/host/ih-vm" 2>/dev/null)
farm_check=$build/host/tests/farm/farm_check
arch=$(uname -m | sed -e 's/^aarch64$/arm64/')
export PATH=$PATH:/usr/sbin

skip() {
	echo "decode farm: skipped: $*"
	exit 0
}
[ -x "$ihvm" ] && [ -x "$farm_check" ] || skip "ih-vm or farm_check not built"
[ -r "$build/$arch/rootfs.squashfs" ] || skip "guest image not built ($build/$arch)"
command -v sbatch >/dev/null && command -v slurmctld >/dev/null ||
	skip "slurm-wlm is not installed (make deps)"
[ "$(id -u)" = 0 ] || skip "the one-node cluster runs its daemons as root"

tmp=$(mktemp -d /tmp/ih-bench-farm.XXXXXX) || exit 1
cluster=$tmp/slurm
trap 'tests/farm/slurm-cluster.sh stop "$cluster" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 143' TERM INT HUP
export IH_IMAGE_DIR=$(realpath "$build/$arch")

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.2f s, %.1f images/s", b - a, n / (b - a) }'; }

"$farm_check" gen "$tmp/data" >/dev/null || exit 1
n=$(wc -l <"$tmp/data/manifest")

mkdir "$tmp/out1"
t0=$(now)
"$ihvm" decode --jobs 2 --manifest "$tmp/data/manifest" --records "$tmp/one.jsonl" \
	-o "$tmp/out1" 2>/dev/null
rc=$?
t1=$(now)
[ "$rc" -le 1 ] || { echo "decode farm: ih-vm --jobs 2 failed (exit $rc)"; exit 1; }
base=$(rate "$n" "$t0" "$t1")

tests/farm/slurm-cluster.sh start "$cluster" >"$tmp/cluster.log" 2>&1 ||
	{ sed 's/^/  /' "$tmp/cluster.log"; echo "decode farm: the Slurm cluster did not start"; exit 1; }
export SLURM_CONF=$cluster/slurm.conf IHVM=$ihvm
mkdir "$tmp/logs"
t0=$(now)
job=$(sbatch --parsable --array=0-3 -o "$tmp/logs/%A_%a.log" host/farm/slurm/decode.sbatch \
	"$tmp/data/manifest" "$tmp/out2" "$tmp/records" 4) || exit 1
while squeue -h -j "${job%%;*}" 2>/dev/null | grep -q .; do sleep 0.05; done
t1=$(now)
records=$(cat "$tmp"/records/shard-*.jsonl 2>/dev/null | wc -l)
[ "$records" -eq "$n" ] || { echo "decode farm: the array wrote $records of $n records"; exit 1; }
slurm=$(rate "$n" "$t0" "$t1")

echo "decode farm, $n images of one manifest through the VM (TCG), $(nproc) CPUs:"
echo "  one ih-vm --jobs 2            $base (baseline)"
echo "  Slurm array, 4 tasks x 1 VM   $slurm"
