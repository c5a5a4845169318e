#!/bin/sh
# Long libFuzzer run of one target: fuzz-long.sh FUZZER CORPUS SECONDS [SEED_DIR...].
# The corpus directory is kept between runs, so each run starts where the last one ended;
# the seed directories' files are added to it first. An input slower than IH_FUZZ_TIMEOUT
# seconds (default 2) is a finding, like a crash. IH_FUZZ_RSS_MB bounds memory (2048).
# Prints the executions and coverage; exits with the fuzzer's status.
set -u
[ $# -ge 3 ] || { echo "usage: $0 FUZZER CORPUS SECONDS [SEED_DIR...]" >&2; exit 2; }
fuzzer=$1 corpus=$2 secs=$3
shift 3
name=$(basename "$fuzzer")
log=$corpus.log

mkdir -p "$corpus" || exit 1
for d in "$@"; do
	[ -d "$d" ] && find "$d" -maxdepth 1 -type f -exec cp -n {} "$corpus/" \;
done
"$fuzzer" -max_total_time="$secs" -timeout="${IH_FUZZ_TIMEOUT:-2}" \
	-rss_limit_mb="${IH_FUZZ_RSS_MB:-2048}" -print_final_stats=1 \
	-artifact_prefix="$(dirname "$corpus")/$name-" "$corpus" >"$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
echo "$name: ${secs} s, ${runs:-?} inputs, ${cov:-no coverage line}," \
	"corpus $(ls "$corpus" | wc -l) files, exit $rc (log: $log)"
[ $rc -eq 0 ] || tail -n 30 "$log"
exit $rc
