#!/bin/sh
# make bench: every benchmark under tests/bench; figures are medians of
# interleaved rounds with [min .. max] spread, never pass/fail.
O=${O:-build}
for b in "$O"/tests/bench_*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b"
done
for s in tests/bench/bench_*.sh; do
	[ -e "$s" ] || continue
	echo "== $(basename "$s")"
	O=$O sh "$s"
done
