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
# A python3 with PyYAML: the first on PATH, else Debian's (python3-yaml).
py=python3
"$py" -c 'import yaml' 2>/dev/null || py=/usr/bin/python3
suite tests/unit/unit-tests
suite sh tests/unit/cli.sh
suite sh tests/unit/cni.sh
suite bash tests/unit/bench-report.sh
suite "$py" tests/unit/spec-check.py
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
