# Shared settings for the tests/vm scripts (sourced, bash).
# shellcheck shell=bash

TWILL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TWILL_CACHE=${TWILL_CACHE:-$HOME/.cache/twill}
VM_DIR=$TWILL_ROOT/tests/vm
KERNELS_DIR=$TWILL_CACHE/kernels
# Kernels tested when none is named.
DEFAULT_KERNELS=(6.1 6.12)

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

note() {
	echo "${0##*/}: $*" >&2
}

# A kernel dir is usable when it has the uniform layout:
#   vmlinuz, kdir/ (build tree for M= builds), release, and optionally
#   modroot/lib/modules/REL (depmod'ed, uncompressed .ko).
# lock NAME: hold an exclusive lock until this process exits.  Several
# developers' runs share one cache: builds into the same dir must not
# overlap.
lock() {
	local fd
	mkdir -p "$TWILL_CACHE/locks"
	exec {fd}>"$TWILL_CACHE/locks/$1.lock"
	flock "$fd"
}

kernel_ready() {

	local d=$KERNELS_DIR/$1
	[ -f "$d/vmlinuz" ] && [ -d "$d/kdir" ] && [ -s "$d/release" ]
}

# Make sure kernel NAME is in the cache, fetching or building it if needed.
ensure_kernel() {
	local name=$1
	kernel_ready "$name" && return 0
	case $name in
	*-debug)
		# Built from source by the debug-kernel script into the same layout.
		[ -x "$VM_DIR/debug-kernel.sh" ] ||
			die "kernel $name: $KERNELS_DIR/$name is missing and tests/vm/debug-kernel.sh does not exist"
		# stdout is our callers' (they print paths): its chatter to stderr.
		"$VM_DIR/debug-kernel.sh" "$name" >&2
		;;
	*)
		"$VM_DIR/fetch-kernel" "$name" >&2
		;;
	esac
	kernel_ready "$name" || die "kernel $name: $KERNELS_DIR/$name lacks vmlinuz, kdir or release"
}

kernel_release() {
	cat "$KERNELS_DIR/$1/release"
}

# Version of the project: the VERSION file, else git describe.
twill_version() {
	if [ -s "$TWILL_ROOT/VERSION" ]; then
		cat "$TWILL_ROOT/VERSION"
	else
		git -C "$TWILL_ROOT" describe --tags --always 2>/dev/null || echo 0.0.0
	fi
}
