#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the "7.3-debug" test kernel for the QEMU lane:
#
#   ${TWILL_CACHE:-$HOME/.cache/twill}/kernels/7.3-debug/
#       vmlinuz   bzImage (everything built in; KASAN, UBSAN, lockdep,
#                 kmemleak, debugobjects, ... see tests/vm/debug.config)
#       kdir      the full, built source tree: `make -C kdir M=$PWD modules`
#       release   `uname -r` of that kernel
#       key       cache key of this build (see below)
#
# Source: Debian's linux-source-7.3 from trixie-backports, fetched with
# `apt-get download` under a private apt configuration in $CACHE/apt-trixie,
# so the machine's own sources, lists and packages are never touched.
#
# Cache key: source package version + sha256 of debug.config + sha256 of this
# script.  A matching complete build is reused (a few seconds).  The apt lists
# are fetched once and then reused, so a machine keeps the version it built
# until TWILL_KERNEL_REFRESH=1 is given (or the lists are deleted).
#
# Environment:
#   TWILL_CACHE           cache root (default $HOME/.cache/twill)
#   TWILL_KERNEL_REFRESH  1: refresh the private apt lists first
#   TWILL_JOBS            make -j (default 2)
#
# usage: tests/vm/debug-kernel.sh [7.3-debug]
# (the name is accepted for tests/vm/common.sh's ensure_kernel; it is the
# only kernel this script makes).
#
# Prints nothing on stdout (callers such as build-module capture theirs);
# progress goes to stderr, the build's output to
# $CACHE/kernels/7.3-debug.build.log.  Exit status 0 means the layout above
# is complete and matches the current key.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${TWILL_CACHE:-$HOME/.cache/twill}
NAME=7.3-debug
PKG=linux-source-7.3
SUITE=trixie-backports
FRAGMENT=$here/debug.config
JOBS=${TWILL_JOBS:-2}

OUT=$CACHE/kernels/$NAME
APTDIR=$CACHE/apt-trixie
LOG=$CACHE/kernels/$NAME.build.log

log() { printf 'debug-kernel: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ $# -gt 1 || ( $# -eq 1 && $1 != "$NAME" ) ]]; then
	die "usage: $0 [$NAME]"
fi

mkdir -p "$CACHE/kernels" "$APTDIR/lists/partial" \
	"$APTDIR/cache/archives/partial" "$APTDIR/debs"

# ---------------------------------------------------------------- apt, private
cat >"$APTDIR/sources.list.new" <<EOF
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $SUITE main
EOF
mv "$APTDIR/sources.list.new" "$APTDIR/sources.list"

# Dir::State::status=/dev/null: the private view knows no installed packages,
# so nothing here can plan to upgrade or remove the machine's own.
APTOPTS=(
	-o "Dir::Etc::sourcelist=$APTDIR/sources.list"
	-o "Dir::Etc::sourceparts=-"
	-o "Dir::State::Lists=$APTDIR/lists"
	-o "Dir::Cache=$APTDIR/cache"
	-o "Dir::State::status=/dev/null"
	-o "APT::Sandbox::User=root"
	-q
)

have_lists() {
	compgen -G "$APTDIR/lists/*_${SUITE}_main_binary-*_Packages*" >/dev/null ||
		compgen -G "$APTDIR/lists/*${SUITE}*Packages*" >/dev/null
}

if [[ ${TWILL_KERNEL_REFRESH:-0} == 1 ]] || ! have_lists; then
	log "refreshing private apt lists ($SUITE)"
	if ! apt-get "${APTOPTS[@]}" update >&2; then
		have_lists || die "apt-get update for $SUITE failed"
		log "warning: apt-get update failed; using the lists already there"
	fi
fi

VERSION=$(apt-cache "${APTOPTS[@]}" show "$PKG" 2>/dev/null |
	awk '/^Version:/ { print $2; exit }')
[[ -n $VERSION ]] || die "$PKG not found in $SUITE"

KEY="$PKG=$VERSION"
KEY+=" fragment=$(sha256sum "$FRAGMENT" | cut -c1-16)"
KEY+=" recipe=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"

complete() {
	[[ -f $OUT/key && $(cat "$OUT/key") == "$KEY" &&
		-s $OUT/vmlinuz && -s $OUT/release &&
		-s $OUT/kdir/Module.symvers && -f $OUT/kdir/.config ]]
}

if complete; then
	log "cached: $OUT ($KEY)"
	exit 0
fi

# One builder at a time per cache (make check and the lane may race).
exec 9>"$CACHE/kernels/.$NAME.lock"
flock 9
if complete; then
	log "cached (built meanwhile): $OUT"
	exit 0
fi

log "building $NAME: $KEY"
log "log: $LOG"
: >"$LOG"
start=$(date +%s)

# ---------------------------------------------------------------- source
deb=$(compgen -G "$APTDIR/debs/${PKG}_${VERSION//:/%3a}_all.deb" || true)
if [[ -z $deb ]]; then
	log "downloading $PKG=$VERSION"
	(cd "$APTDIR/debs" && rm -f "${PKG}"_*.deb &&
		apt-get "${APTOPTS[@]}" download "$PKG=$VERSION") >&2
	deb=$(compgen -G "$APTDIR/debs/${PKG}_*_all.deb") ||
		die "download of $PKG=$VERSION produced no .deb"
fi

# Build in a staging directory next to the final one, then swap it in, so a
# half-finished build is never mistaken for a kernel.
STAGE=$CACHE/kernels/.$NAME.stage
rm -rf "$STAGE" "$OUT.old"
mkdir -p "$STAGE/deb"
dpkg-deb -x "$deb" "$STAGE/deb"
tarball=$(compgen -G "$STAGE/deb/usr/src/linux-source-*.tar.xz") ||
	die "no source tarball inside $deb"
log "extracting $(basename "$tarball")"
tar -xJf "$tarball" -C "$STAGE"
mv "$STAGE"/linux-source-*/ "$STAGE/kdir"
rm -rf "$STAGE/deb"

K=$STAGE/kdir
kmake() { make -C "$K" -j"$JOBS" "$@" >>"$LOG" 2>&1 || {
	tail -n 40 "$LOG" >&2
	die "make $* failed (full log: $LOG)"
}; }

# ---------------------------------------------------------------- config
# allnoconfig with the fragment as the forced starting values: only what the
# fragment asks for (and what that selects) is enabled.
log "configuring (allnoconfig + $(basename "$FRAGMENT"))"
KCONFIG_ALLCONFIG=$FRAGMENT kmake allnoconfig
kmake olddefconfig

# Every line of the fragment must have survived.
missing=0
while IFS= read -r line; do
	if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
		sym=${BASH_REMATCH[1]} want=${BASH_REMATCH[2]}
		got=$(grep -E "^$sym=" "$K/.config" | cut -d= -f2- || true)
		if [[ $got != "$want" ]]; then
			log "config: $sym wanted $want, got ${got:-unset}"
			missing=1
		fi
	elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		sym=${BASH_REMATCH[1]}
		if grep -qE "^$sym=" "$K/.config"; then
			log "config: $sym wanted unset, got $(grep -E "^$sym=" "$K/.config")"
			missing=1
		fi
	fi
done <"$FRAGMENT"
((missing == 0)) || die "kconfig dropped or changed options above (unmet dependencies?)"
log "config: every option of $(basename "$FRAGMENT") is in .config"

# ---------------------------------------------------------------- build
log "make -j$JOBS bzImage (about 8 minutes on 2 cores)"
kmake bzImage
# `make modules` runs modpost over vmlinux and writes Module.symvers, which
# out-of-tree builds (M=) need; no module is configured, so it is quick.
log "make modules (Module.symvers)"
kmake modules
[[ -s $K/Module.symvers ]] || die "no Module.symvers after make modules"

release=$(make -s -C "$K" kernelrelease)
cp "$K/arch/x86/boot/bzImage" "$STAGE/vmlinuz"
echo "$release" >"$STAGE/release"
echo "$KEY" >"$STAGE/key"

# Swap in.  The tree is built with relative paths (no O=), so it works from
# its final place.
[[ -e $OUT ]] && mv "$OUT" "$OUT.old"
mv "$STAGE" "$OUT"
rm -rf "$OUT.old"

log "done in $(($(date +%s) - start)) s: $OUT (release $release)"
