# Shared by the end-to-end tests (sourced, not run): TAP output, a private copy of the guest
# image whose path marks every QEMU the test starts, and the checks that none is left.
#
# Each test runs from the top of the tree with build/host/ih-vm and build/<arch>/ built.

IHVM=${IHVM:-build/host/ih-vm}
case $(uname -m) in
aarch64) E2E_ARCH=arm64 KERNEL_FILE=Image ;;
*) E2E_ARCH=x86_64 KERNEL_FILE=vmlinux ;;
esac
E2E_IMAGE_SRC=${E2E_IMAGE_SRC:-build/$E2E_ARCH}

tap_n=0
tap_failed=0

# ok STATUS NAME: one result; STATUS 0 is a pass.
ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

# check NAME COMMAND...: passes when COMMAND succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok 0 "$name"; else ok 1 "$name"; fi
}

diag() { echo "# $*"; }

tap_done() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

skip_all() {
	echo "ok 1 - # SKIP $*"
	echo "1..1"
	exit 0
}

# The QEMUs this test started: their command line holds the private image path.
e2e_qemus() { pgrep -f -- "$E2E_IMAGE" 2>/dev/null; }

no_qemu_left() {
	local i pids
	for i in 1 2 3 4 5 6 7 8 9 10; do
		pids=$(e2e_qemus)
		[ -z "$pids" ] && return 0
		sleep 0.2
	done
	diag "QEMU left running: $pids"
	return 1
}

e2e_cleanup() {
	local pid
	for pid in $(e2e_qemus); do kill -9 "$pid" 2>/dev/null; done
	rm -rf "$E2E_TMP"
}

# Sets up $E2E_TMP and $E2E_IMAGE (exported as IH_IMAGE_DIR); skips when nothing is built.
e2e_setup() {
	local f
	[ -x "$IHVM" ] || skip_all "$IHVM not built"
	for f in "$KERNEL_FILE" initramfs.cpio.gz rootfs.squashfs cmdline; do
		[ -r "$E2E_IMAGE_SRC/$f" ] || skip_all "guest image not built ($E2E_IMAGE_SRC/$f)"
	done
	E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ih-e2e.XXXXXX") || exit 1
	trap e2e_cleanup EXIT
	E2E_IMAGE=$E2E_TMP/image
	mkdir "$E2E_IMAGE"
	for f in "$KERNEL_FILE" initramfs.cpio.gz rootfs.squashfs cmdline; do
		ln -s "$(realpath "$E2E_IMAGE_SRC/$f")" "$E2E_IMAGE/$f"
	done
	export IH_IMAGE_DIR=$E2E_IMAGE
}

# json_field FILE KEY: the value of "KEY" in the first record of FILE (strings unquoted).
json_field() {
	sed -n "s/.*\"$2\": *\"\{0,1\}\([^\",}]*\)\"\{0,1\}.*/\1/p" "$1" | head -n 1
}
