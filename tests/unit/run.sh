#!/bin/sh
# Runs every native unit suite and prints one combined "N passed, N failed".
# Each suite prints its own summary line last; a suite that exits non-zero
# without failures counted is one failure.
set -u
cd "$(dirname "$0")/../.." || exit 1
total_p=0 total_f=0
suite() {
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n1)
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed*}
	[ -n "$line" ] || { p=0 f=1; }
	[ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
	total_p=$((total_p + p))
	total_f=$((total_f + f))
}
suite tests/unit/unit-tests
suite python3 tests/unit/spec-check.py
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
