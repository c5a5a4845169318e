#!/usr/bin/env bash
# `ih-vm decode --isolation=process` end to end: exit codes, png/ppm/pam/- outputs that
# match a native decode, no partial output on a rejected image, missing input,
# unwritable output, never overwriting the input, usage errors, batches and JSON.
set -u
cd "$(dirname "$0")/../.." || exit 1
V=build/host/ih-vm
G=build/host/tests/corpus/gen-corpus
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
n=0

check() { # name, then a command that must succeed
	local name=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $name"; else echo "not ok $n - $name"; fi
}
decode() { "$V" decode --isolation=process "$@"; }
rc_is() { # expected exit code, then the decode arguments; stderr goes to $t/err
	local want=$1
	shift
	decode "$@" >"$t/out" 2>"$t/err"
	local rc=$?
	[ "$rc" -eq "$want" ] || { echo "# exit $rc, want $want: $(head -c 300 "$t/err")"; return 1; }
}
no_leftovers() { ! ls -A "$1" | grep -q .; }

"$G" "$t/c" || { echo "not ok 1 - gen-corpus"; exit 1; }
good=$t/c/good hostile=$t/c/hostile
mkdir "$t/o"

check "png output matches the generator's pixels (pngtopam -alphapam)" \
	eval 'rc_is 0 -o "$t/o/a.png" "$good/png-rgba-16bit.png" &&
	pngtopam -alphapam "$t/o/a.png" | cmp -s - "$good/png-rgba-16bit.pam"'
check "ppm output of a JPEG is byte-identical to djpeg -rgb" \
	eval 'rc_is 0 -o "$t/o/b.ppm" "$good/jpeg-progressive-420.jpg" &&
	djpeg -rgb -pnm "$good/jpeg-progressive-420.jpg" | cmp -s - "$t/o/b.ppm"'
check "pam output of a 16-bit gray+tRNS PNG matches the generator's pixels" \
	eval 'rc_is 0 -o "$t/o/c.pam" "$good/png-gray-16bit-trns.png" &&
	cmp -s "$t/o/c.pam" "$good/png-gray-16bit-trns.pam"'
check "--format=pam overrides the extension" \
	eval 'rc_is 0 --format=pam -o "$t/o/d.img" "$good/png-palette-4bit-trns.png" &&
	cmp -s "$t/o/d.img" "$good/png-palette-4bit-trns.pam"'
check "-o - writes the PNG to stdout, the same bytes as -o FILE" \
	eval 'decode -o - "$good/png-rgba-16bit.png" >"$t/stdout.png" && cmp -s "$t/stdout.png" "$t/o/a.png"'
rm -rf "$t/o" && mkdir "$t/o"
for f in "$hostile"/*; do
	check "hostile ${f##*/}: exit 1, reason on stderr, no output or temp file" \
		eval 'rc_is 1 -o "$t/o/x.png" "$f" && grep -q "rejected" "$t/err" && no_leftovers "$t/o"'
done
check "a limit hit names the option to raise in a Hint" \
	eval 'rc_is 1 --max-pixels=100 "$good/png-rgb-8bit.png" && grep -q "Hint: raise --max-pixels" "$t/err"'
check "missing input: exit 2, the message names the file" \
	eval 'rc_is 2 "$t/no-such.png" && grep -q "no-such.png" "$t/err"'
check "unwritable output (no such directory): exit 3 with a Hint" \
	eval 'rc_is 3 -o "$t/missing-dir/x.png" "$good/png-rgb-8bit.png" && grep -q "Hint:" "$t/err"'
cp "$good/png-rgb-8bit.png" "$t/in.png"
check "-o DIR that would land on the input refuses, exit 2, input unchanged" \
	eval 'rc_is 2 -o "$t" "$t/in.png" && cmp -s "$t/in.png" "$good/png-rgb-8bit.png"'
check "-o FILE naming the input refuses, exit 2, input unchanged" \
	eval 'rc_is 2 -o "$t/in.png" "$t/in.png" && cmp -s "$t/in.png" "$good/png-rgb-8bit.png"'
check "no input is a usage error (exit 2)" rc_is 2
check "--max-pixels=0 is a usage error" rc_is 2 --max-pixels=0 "$good/png-rgb-8bit.png"
check "--max-pixels=12abc is a usage error" rc_is 2 --max-pixels=12abc "$good/png-rgb-8bit.png"
check "a limit over the ceiling is a usage error" rc_is 2 --max-jpeg-scans=100000 "$good/png-rgb-8bit.png"
check "--isolation=bogus is a usage error" rc_is 2 --isolation=bogus "$good/png-rgb-8bit.png"
check "two inputs with -o FILE is a usage error" \
	rc_is 2 -o "$t/o/one.png" "$good/png-rgb-8bit.png" "$good/png-rgba-8bit.png"
mkdir -p "$t/a" "$t/b" "$t/same"
cp "$good/png-rgb-8bit.png" "$t/a/x.png" && cp "$good/jpeg-grayscale.jpg" "$t/b/x.jpg"
check "two inputs that would write the same file in -o DIR: exit 2, nothing written" \
	eval 'rc_is 2 -o "$t/same" "$t/a/x.png" "$t/b/x.jpg" && no_leftovers "$t/same"'
check "--help exits 0" rc_is 0 --help
check "a batch with one hostile file exits 1 and still writes the good ones" \
	eval 'rc_is 1 -j 2 -o "$t/o" "$good/png-rgb-8bit.png" "$good/jpeg-grayscale.jpg" \
		"$hostile/png-bad-crc-idat.png" "$good/png-gray-1bit.png" &&
	[ -f "$t/o/png-rgb-8bit.png" ] && [ -f "$t/o/jpeg-grayscale.png" ] &&
	[ -f "$t/o/png-gray-1bit.png" ] && [ ! -e "$t/o/png-bad-crc-idat.png" ]'
check "--json prints one record per input with status and layers" \
	eval 'rc_is 1 --json "$good/png-rgb-8bit.png" "$hostile/empty.bin" &&
	[ "$(wc -l <"$t/out")" -eq 2 ] && grep -q "\"status\":\"ok\".*\"seccomp\"" "$t/out" &&
	grep -q "\"status\":\"rejected\",\"reason\":\"empty input\"" "$t/out"'
policy_lists_allowlist() {
	"$V" policy >"$t/policy" 2>&1 || return 1
	local name
	for name in $(grep -v '^#' guest/sandbox/seccomp.policy | awk 'NF { print $1 }'); do
		grep -q "^$name " "$t/policy" || { echo "# policy misses $name"; return 1; }
	done
}
check "ih-vm policy exits 0 here and prints every syscall of guest/sandbox/seccomp.policy" \
	policy_lists_allowlist
landlock_json_complete() {
	local json abi
	json=$("$V" policy --landlock-json) || return 1
	abi=$(printf '%s' "$json" | sed -n 's/^{"abi":\([0-9]*\),.*/\1/p')
	[ -n "$abi" ] || return 1
	printf '%s' "$json" | grep -q '"handledAccessFs":\["execute",.*"make_sym"' || return 1
	[ "$abi" -lt 3 ] || printf '%s' "$json" | grep -q '"truncate"' || return 1
	[ "$abi" -lt 4 ] || printf '%s' "$json" | grep -q '"handledAccessNet":\["bind_tcp","connect_tcp"\]' || return 1
	[ "$abi" -lt 5 ] || printf '%s' "$json" | grep -q '"ioctl_dev"' || return 1
	[ "$abi" -lt 6 ] || printf '%s' "$json" | grep -q '"scoped":\["abstract_unix_socket","signal"\]'
}
check "ih-vm policy --landlock-json handles every right of the running Landlock ABI" \
	landlock_json_complete
echo "1..$n"
