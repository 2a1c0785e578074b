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

# Builds copy the checkout's sources into a cache dir with their mtimes
# (cpio -m) so that make rebuilds only what changed.  But mtimes say
# nothing across checkouts: a clean clone's file, or an older version
# checked out, can be older than the object a different text of it left
# there, and make would link the stale object.  So, after each copy:
#   sources_changed DIR <FILES     touches every file (paths relative to
#                                  DIR) whose content differs from the last
#                                  successful build's
#   sources_built DIR <FILES       records the contents once a build
#                                  succeeded
sources_sums() {
	(cd "$1" && LC_ALL=C sort -u | tr '\n' '\0' | xargs -0 -r sha256sum)
}
sources_changed() {
	local d=$1
	sources_sums "$d" >"$d/.sums.now"
	[ -f "$d/.sums" ] || : >"$d/.sums"
	awk 'FILENAME == ARGV[1] { old[$2] = $1; next } old[$2] != $1 { print $2 }' \
		"$d/.sums" "$d/.sums.now" | (cd "$d" && tr '\n' '\0' | xargs -0 -r touch)
}
sources_built() {
	mv "$1/.sums.now" "$1/.sums"
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
