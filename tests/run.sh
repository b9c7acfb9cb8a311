#!/bin/sh
# tests/run.sh - run every test: unit binaries, fuzz corpus replays, e2e
# scripts.  Each prints a "T: N passed, N failed, N skipped" line; this
# script sums them and ends with "N passed, N failed, N skipped".
# Usage: O=build sh tests/run.sh [PATTERN]
O=${O:-build}
PATTERN=${1:-}
export O
top=$(pwd)
total_p=0 total_f=0 total_s=0
log=$(mktemp)

run_one() {
	name=$1
	shift
	case "$name" in *"$PATTERN"*) ;; *) return ;; esac
	echo "== $name"
	TMPD=$(mktemp -d /tmp/asight-test.XXXXXX)
	export TMPD
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	line=$(grep -E '^T: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -z "$line" ]; then
		echo "not ok $name: exited $rc without a result line"
		total_f=$((total_f + 1))
	else
		p=$(echo "$line" | sed -E 's/^T: ([0-9]+) passed.*/\1/')
		f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
		s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
		total_p=$((total_p + p))
		total_f=$((total_f + f))
		total_s=$((total_s + ${s:-0}))
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			echo "not ok $name: exited $rc"
			total_f=$((total_f + 1))
		fi
	fi
	# ASIGHT_KEEP_FAILED=1: a failed test's files stay for a look
	if [ -n "$ASIGHT_KEEP_FAILED" ] && [ "${f:-1}" != 0 ]; then
		echo "kept $TMPD"
	else
		rm -rf "$TMPD"
	fi
}

for t in "$O"/tests/t_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done
for r in "$O"/tests/regress_*; do
	[ -x "$r" ] || continue
	n=${r##*/regress_}
	run_one "fuzz-regress/$n" "$r" "tests/fuzz/corpus/$n"
done
for e in tests/e2e/t_*.sh; do
	[ -e "$e" ] || continue
	run_one "e2e/$(basename "$e")" sh "$e"
done
rm -f "$log"
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" = 0 ]
