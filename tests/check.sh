#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks (`make check`):
#
#   checkpatch  scripts/checkpatch.pl --strict of the 7.3 kernel tree on
#               kmod/*.[ch] and kmod/selftest/*.c
#   sparse      the module built with C=2 CHECK=sparse against Debian's 6.12
#               headers (Debian 12's sparse is too old for 7.3's kbuild,
#               which then silently skips it); any warning, or no file
#               checked, is a failure
#   cppcheck    userspace/**/*.c
#   clang-tidy  userspace/**/*.c, check set below
#   matrix      compile-only: the module (release build, as DKMS builds it)
#               against every Debian linux-headers-*-amd64 line that
#               bookworm, bookworm-backports, trixie, trixie-backports and
#               sid offer (tests/vm/fetch-headers --list: the newest of each
#               major.minor per suite), with the gcc that built that kernel
#               (tests/vm/fetch-gcc) and -Werror; any warning fails it.
#               One line per kernel: `check: build SUITE VERSION: ok`.
#
# Prints the findings of each tool, a one-line summary per tool, and exits
# non-zero if any tool found anything.  A tool with nothing to check (no
# kmod/ sources, no userspace/ sources yet) is reported as skipped.
#
# The kernel tree (for checkpatch.pl and as the sparse build's kdir) is the
# one tests/vm/debug-kernel.sh prepares and caches; the first run on a
# machine builds it (about 8 minutes), later runs take seconds.
#
# Environment:
#   TWILL_CHECK_KDIR  use this built kernel tree instead of the 7.3-debug one
#   TWILL_CHECK_ONLY  space-separated subset of: checkpatch sparse cppcheck
#                     clang-tidy matrix
#   TWILL_CHECK_MATRIX  only the matrix kernels whose "SUITE ABI" line
#                     matches this extended regex (e.g. 'sid|7\.3')
#   TWILL_HEADERS_REFRESH  1: fetch the suites' package lists again (else
#                     the lists of the first run are reused; see
#                     tests/vm/fetch-headers)
#   TWILL_CACHE       as for tests/vm (default $HOME/.cache/twill)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
ONLY=${TWILL_CHECK_ONLY:-checkpatch sparse cppcheck clang-tidy matrix}

say() { printf 'check: %s\n' "$*"; }

# ------------------------------------------------------------------ deps
apt_updated=0
need() { # need COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 && return 0
	say "installing $2 (for $1)"
	if ((apt_updated == 0)); then
		apt-get -q update >/dev/null || true
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends "$2" >/dev/null ||
		{ say "error: cannot install $2"; exit 2; }
}
need perl perl
need make make
need gcc gcc
need sparse sparse
need cpio cpio
need cppcheck cppcheck
need clang-tidy clang-tidy

# ------------------------------------------------------------------ sources
shopt -s nullglob globstar
KMOD_FILES=(kmod/*.c kmod/*.h kmod/selftest/*.c kmod/selftest/*.h)
USER_FILES=(userspace/**/*.c)
shopt -u nullglob globstar

declare -A RESULT DETAIL
ORDER=()
result() { # result TOOL ok|FAIL|skipped DETAIL
	ORDER+=("$1")
	RESULT[$1]=$2
	DETAIL[$1]=$3
}
wanted() { [[ " $ONLY " == *" $1 "* ]]; }

KDIR=
kdir() {
	[[ -n $KDIR ]] && return 0
	if [[ -n ${TWILL_CHECK_KDIR:-} ]]; then
		KDIR=$TWILL_CHECK_KDIR
	else
		"$ROOT/tests/vm/debug-kernel.sh" >&2 || return 1
		KDIR=${TWILL_CACHE:-$HOME/.cache/twill}/kernels/7.3-debug/kdir
	fi
	[[ -f $KDIR/Makefile ]]
}

# ------------------------------------------------------------------ checkpatch
# Ignored everywhere, because they cannot apply to an out-of-tree module that
# builds against Debian's 6.1 up to 7.3:
#   ALLOC_WITH_SIZEOF  "Prefer kzalloc_obj over kzalloc with sizeof":
#                      kmalloc_obj() and friends are 7.x-only API.
# Ignored in kmod/compat.h only, whose job is to bridge kernel versions:
#   LINUX_VERSION_CODE     its one version test, the 6.1 floor (every other
#                          difference is probed, not versioned)
#   CONSTANT_COMPARISON    `LINUX_VERSION_CODE < KERNEL_VERSION(...)` has a
#                          constant on both sides; this is the idiom
#   MACRO_WITH_FLOW_CONTROL  false positive on macros that define a whole
#                          wrapper function (its `return` is the function's)
# (--no-tree: checkpatch looks for no kernel tree around the files; with -f
# it never runs the patch-only checks such as FILE_PATH_CHANGES, and
# SPDX_LICENSE_TAG stays enforced: every file carries its tag.)
CP_IGNORE=ALLOC_WITH_SIZEOF
CP_IGNORE_COMPAT=LINUX_VERSION_CODE,CONSTANT_COMPARISON,MACRO_WITH_FLOW_CONTROL

run_checkpatch() {
	if ((${#KMOD_FILES[@]} == 0)); then
		result checkpatch skipped "no kmod/*.c or *.h"
		return
	fi
	if ! kdir || [[ ! -f $KDIR/scripts/checkpatch.pl ]]; then
		result checkpatch FAIL "no kernel source tree with scripts/checkpatch.pl"
		return
	fi
	local cp=$KDIR/scripts/checkpatch.pl f ign out errs=0 warns=0 checks=0 bad=0
	local -a opts=(--strict --no-tree --quiet --no-summary --show-types
		--color=never)
	for f in "${KMOD_FILES[@]}"; do
		ign=$CP_IGNORE
		[[ $f == kmod/compat.h ]] && ign+=,$CP_IGNORE_COMPAT
		# checkpatch.pl finds spelling.txt and const_structs.checkpatch
		# next to itself, so it is run from the kernel tree in place.
		out=$(perl "$cp" "${opts[@]}" --ignore "$ign" -f "$f" 2>&1)
		if [[ -n $out ]]; then
			printf '%s\n' "$out"
			bad=$((bad + 1))
		fi
		errs=$((errs + $(grep -c '^ERROR:' <<<"$out")))
		warns=$((warns + $(grep -c '^WARNING:' <<<"$out")))
		checks=$((checks + $(grep -c '^CHECK:' <<<"$out")))
	done
	local d="${#KMOD_FILES[@]} files, $errs errors, $warns warnings, $checks checks"
	if ((bad)); then result checkpatch FAIL "$d"; else result checkpatch ok "$d"; fi
}

# ------------------------------------------------------------------ sparse
# The module is built in a scratch copy (kbuild writes objects next to the
# sources), with C=2 so that sparse checks every file, built or not.
run_sparse() {
	if [[ ! -f Kbuild && ! -f kmod/Kbuild ]] || ! compgen -G 'kmod/*.c' >/dev/null; then
		result sparse skipped "no Kbuild or kmod/*.c"
		return
	fi
	local skdir=${TWILL_CHECK_SPARSE_KDIR:-}
	if [[ -z $skdir ]]; then
		skdir=$(bash -c '. "$1/tests/vm/common.sh" && ensure_kernel 6.12 && echo "$KERNELS_DIR/6.12/kdir"' _ "$ROOT") || {
			result sparse FAIL "cannot fetch the 6.12 headers"
			return
		}
	fi
	local tmp log n m
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/twill-sparse.XXXXXX")
	for p in Kbuild VERSION kmod include; do
		[[ -e $p ]] && cp -a "$p" "$tmp/"
	done
	local mdir=$tmp
	[[ -f $tmp/Kbuild ]] || mdir=$tmp/kmod
	log=$tmp/build.log
	make -C "$skdir" M="$mdir" -j"${TWILL_JOBS:-2}" C=2 CHECK=sparse \
		TWILL_DEBUG=1 modules >"$log" 2>&1
	local rc=$?
	# Findings: sparse's and the compiler's warnings and errors.  Paths of
	# the scratch copy are shown as repository paths.
	n=$(grep -cE '(warning|error):' "$log")
	if ((rc != 0 || n != 0)); then
		grep -E '(warning|error):|^ +(expected|got) |Error [0-9]' "$log" | sed "s|$tmp/||g"
		((rc != 0)) && { echo "--- build log tail:"; tail -n 20 "$log" | sed "s|$tmp/||g"; }
		m="$n warnings/errors"
		((rc != 0)) && m+=", build failed (make exit $rc)"
		result sparse FAIL "$m"
	else
		m=$(grep -c '^  CHECK' "$log")
		if ((m == 0)); then
			grep -i sparse "$log"
			result sparse FAIL "sparse checked no file"
		else
			result sparse ok "$m files checked against $(basename "$(dirname "$skdir")"), 0 warnings"
		fi
	fi
	rm -rf "$tmp"
}

# ------------------------------------------------------------------ matrix
# Each kernel builds in its own directory in the cache, sources copied with
# their mtimes (as tests/vm/build-module does), so a rerun rebuilds only
# what changed.  BTF is not generated (CONFIG_DEBUG_INFO_BTF_MODULES=): it
# needs the pahole that built the kernel and checks nothing about the code;
# modpost still checks every symbol against the kernel's Module.symvers.
run_matrix() {
	if [[ ! -f Kbuild ]] || ! compgen -G 'kmod/*.c' >/dev/null; then
		result matrix skipped "no Kbuild or kmod/*.c"
		return
	fi
	local vm=$ROOT/tests/vm cache=${TWILL_CACHE:-$HOME/.cache/twill}
	local list suite abi ver kdir major gsuite cc bdir log t0 secs n=0 bad=0
	if ! list=$("$vm/fetch-headers" --list); then
		result matrix FAIL "cannot list the Debian headers packages"
		return
	fi
	if [[ -n ${TWILL_CHECK_MATRIX:-} ]]; then
		list=$(grep -E -- "$TWILL_CHECK_MATRIX" <<<"$list" || :)
	fi
	while read -r suite abi ver; do
		[[ -n $suite ]] || continue
		n=$((n + 1))
		t0=$SECONDS
		if ! kdir=$("$vm/fetch-headers" "$suite" "$abi" </dev/null); then
			say "build $suite $ver: FAIL (cannot fetch linux-headers-$abi)"
			bad=$((bad + 1))
			continue
		fi
		major=$(sed -n 's/^CONFIG_GCC_VERSION=\([0-9]*\)[0-9][0-9][0-9][0-9]$/\1/p' "$kdir/.config")
		gsuite=${suite%-backports}
		if [[ -z $major ]] || ! cc=$("$vm/fetch-gcc" "$gsuite" "$major" "$kdir" </dev/null); then
			say "build $suite $ver: FAIL (no gcc-${major:-?} for it)"
			bad=$((bad + 1))
			continue
		fi
		bdir=$cache/build/matrix-$abi
		mkdir -p "$bdir"
		find "$bdir" \( -name '*.[ch]' -o -name Kbuild -o -name VERSION \) -delete
		find Kbuild VERSION kmod include \( -name Kbuild -o -name VERSION -o -name '*.[ch]' \) -print |
			cpio --quiet -pdm "$bdir"
		log=$bdir/build.log
		make -C "$kdir" M="$bdir" -j"${TWILL_JOBS:-2}" CC="$cc" KCFLAGS=-Werror \
			CONFIG_DEBUG_INFO_BTF_MODULES= modules </dev/null >"$log" 2>&1
		local rc=$?
		secs=$((SECONDS - t0))
		# Findings: the compiler's and modpost's warnings and errors (not
		# the top Makefile's note that pahole differs: BTF is not built).
		if ((rc != 0)) || grep -vE '^warning: pahole version differs' "$log" |
			grep -qE '(warning|error|Error|WARNING|ERROR):'; then
			grep -vE '^warning: pahole version differs' "$log" |
				grep -E '(warning|error|Error|WARNING|ERROR):|^ +[0-9]+ \|' | sed "s|$bdir/||g" | head -n 40
			say "build $suite $ver: FAIL ($abi, gcc-$major, make exit $rc, $secs s)"
			bad=$((bad + 1))
		else
			say "build $suite $ver: ok ($abi, gcc-$major, $secs s)"
		fi
	done <<<"$list"
	if ((n == 0)); then
		result matrix FAIL "no kernel headers to build against"
	elif ((bad)); then
		result matrix FAIL "$bad of $n kernels failed"
	else
		result matrix ok "$n kernels built, 0 warnings"
	fi
}

# ------------------------------------------------------------------ userspace
# As userspace/Makefile compiles: C11 + _GNU_SOURCE, UAPI header as <linux/twill.h>.
USER_CFLAGS=(-std=c11 -D_GNU_SOURCE -Iinclude/uapi -Iinclude -Iuserspace)

# cppcheck: warning, style, performance and portability, except
#   missingIncludeSystem  it is not given the system headers, on purpose
#   variableScope         "scope can be reduced": the code follows kernel
#                         style, declarations at the top of a block
# (not "information", and not unusedFunction, which needs the whole program).
run_cppcheck() {
	if ((${#USER_FILES[@]} == 0)); then
		result cppcheck skipped "no userspace/*.c"
		return
	fi
	local out
	out=$(cppcheck --quiet --error-exitcode=1 --inline-suppr \
		--enable=warning,style,performance,portability \
		--std=c11 --platform=unix64 -D__linux__ -D__x86_64__ -D_GNU_SOURCE \
		-Iinclude/uapi -Iinclude -Iuserspace \
		--suppress=missingIncludeSystem --suppress=variableScope \
		--template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
		"${USER_FILES[@]}" 2>&1)
	local rc=$? n
	n=$(grep -cE ': (error|warning|style|performance|portability): ' <<<"$out")
	if ((rc != 0 || n != 0)); then
		printf '%s\n' "$out"
		result cppcheck FAIL "${#USER_FILES[@]} files, $n findings"
	else
		result cppcheck ok "${#USER_FILES[@]} files, 0 findings"
	fi
}

# clang-tidy: bug finders and the static analyzer, minus checks that only
# make noise in C:
#   bugprone-easily-swappable-parameters  any f(int a, int b)
#   bugprone-narrowing-conversions        every int -> u8/u16 netlink field;
#                                         gcc -Wconversion is the tool for it
#   cert-err33-c                          unchecked printf()/fprintf() result
#   clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling
#                                         memcpy/memset/snprintf -> Annex K
#                                         *_s functions that glibc lacks
#   misc-unused-parameters                callbacks with fixed signatures
#   misc-no-recursion                     nested attribute walks recurse
# Headers under userspace/ and include/ are checked too.
TIDY_CHECKS='-*,bugprone-*,cert-*,clang-analyzer-*,misc-*,performance-*,portability-*'
TIDY_CHECKS+=',readability-misleading-indentation,readability-redundant-declaration'
TIDY_CHECKS+=',readability-inconsistent-declaration-parameter-name'
TIDY_CHECKS+=',-bugprone-easily-swappable-parameters,-bugprone-narrowing-conversions'
TIDY_CHECKS+=',-cert-err33-c'
TIDY_CHECKS+=',-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling'
TIDY_CHECKS+=',-misc-unused-parameters,-misc-no-recursion'

run_clang_tidy() {
	if ((${#USER_FILES[@]} == 0)); then
		result clang-tidy skipped "no userspace/*.c"
		return
	fi
	local -a cflags=("${USER_CFLAGS[@]}")
	local -a more=()
	# The CLI's library's flags (libmnl), if its -dev package is installed.
	if pkg-config --exists libmnl 2>/dev/null; then
		read -r -a more <<<"$(pkg-config --cflags libmnl)"
		cflags+=("${more[@]}")
	fi
	local out='' rc=0 f
	# One file per run: clang-tidy 14's static analyzer keeps state from
	# one translation unit to the next (valist.Uninitialized then fires on
	# every va_start() of the second and later files).
	for f in "${USER_FILES[@]}"; do
		out+=$(clang-tidy --quiet --checks="$TIDY_CHECKS" --warnings-as-errors='*' \
			--header-filter="^$ROOT/(userspace|include)/" \
			"$f" -- "${cflags[@]}" 2>&1)$'\n' || rc=1
	done
	local n
	n=$(grep -cE ': (warning|error): ' <<<"$out")
	if ((rc != 0 || n != 0)); then
		# Drop clang-tidy's "N warnings generated" chatter.
		grep -vE '^([0-9]+ warnings? (and [0-9]+ errors? )?generated\.)?$' <<<"$out"
		result clang-tidy FAIL "${#USER_FILES[@]} files, $n findings"
	else
		result clang-tidy ok "${#USER_FILES[@]} files, 0 findings"
	fi
}

wanted checkpatch && run_checkpatch
wanted sparse && run_sparse
wanted cppcheck && run_cppcheck
wanted clang-tidy && run_clang_tidy
wanted matrix && run_matrix

echo
passed=0 failed=0 skipped=0
for t in "${ORDER[@]}"; do
	printf 'check: %-10s %-7s %s\n' "$t" "${RESULT[$t]}" "${DETAIL[$t]}"
	case ${RESULT[$t]} in
	ok) passed=$((passed + 1)) ;;
	FAIL) failed=$((failed + 1)) ;;
	*) skipped=$((skipped + 1)) ;;
	esac
done
echo "check: $passed passed, $failed failed, $skipped skipped"
((failed == 0))
