#!/usr/bin/env bash
# The sandboxed decoder as a normal user: run by root, this drops to uid/gid 65534 with
# setpriv and runs the escape and decode tests and `ih-vm decode` there, where the sandbox
# must build its namespaces inside a user namespace. Run by a normal user, the other
# tests already prove it.
set -u
cd "$(dirname "$0")/../.." || exit 1
n=0
result() { # ok?, name
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
skip() {
	n=$((n + 1))
	echo "ok $n - # SKIP $1"
}

if [ "$(id -u)" != 0 ]; then
	skip "already running as uid $(id -u): every other test runs unprivileged"
	echo "1..$n"
	exit 0
fi
if ! command -v setpriv >/dev/null; then
	skip "setpriv (util-linux) is not installed"
	echo "1..$n"
	exit 0
fi
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

for t in test_escape test_decode test_degraded; do
	out=$(as_nobody "build/host/tests/decoder/$t" 2>&1)
	rc=$?
	fails=$(printf '%s\n' "$out" | grep -c '^not ok')
	[ "$fails" -gt 0 ] && printf '%s\n' "$out" | grep '^not ok' | sed 's/^/# /'
	result "$([ $rc -eq 0 ] && [ "$fails" -eq 0 ] && echo 0 || echo 1)" \
		"$t passes as uid 65534 ($(printf '%s\n' "$out" | grep -c '^ok') results)"
done

t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
build/host/tests/corpus/gen-corpus "$t/c" && chmod -R a+rwX "$t"
json=$(as_nobody build/host/ih-vm decode --isolation=process --json -o "$t/out.png" \
	"$t/c/good/jpeg-baseline-420.jpg")
rc=$?
result "$([ $rc -eq 0 ] && [ -f "$t/out.png" ] && echo 0 || echo 1)" \
	"ih-vm decode as uid 65534 decodes and writes its output (exit $rc)"
case $json in
*'"ns_user"'*'"seccomp"'*) ok=0 ;;
*) ok=1 ;;
esac
result $ok "as uid 65534 the child also had a user namespace and every other layer"
echo "1..$n"
