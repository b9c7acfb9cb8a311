#!/bin/sh
# bench_analyze.sh - asanalyze on a 1-million-record mixed capture
# (process, file, network and TLS records from mkcap): `export --sqlite` and
# `conversations`, in interleaved rounds.  Prints the median wall time with
# [min .. max], records/s and peak RSS beside the goals of issue 5
# (>= 500k records/s to SQLite, memory bounded by the largest open
# conversation).  Figures only; nothing here passes or fails.
# `export --sqlite` streams (see asanalyze(1)): its RSS is bounded by what
# is open (conversations, running processes and their ancestors, processes
# with TLS connections); exited processes are written and freed.  Compare
# ANALYZE_BENCH_RECORDS=2000000 or 4000000 (mkcap starts a process every 15
# records), and ANALYZE_BENCH_CHILDREN=1000 (the agent does the work itself
# after 1000 child processes).
# `conversations` keeps the whole model.  The previous database is removed
# before each run, outside the time (replacing it costs the unlink).
O=${O:-build}
A=${ASANALYZE:-$O/asanalyze}
N=${ANALYZE_BENCH_RECORDS:-1000000}
ROUNDS=${ANALYZE_BENCH_ROUNDS:-3}
CHILDREN=${ANALYZE_BENCH_CHILDREN:+--children $ANALYZE_BENCH_CHILDREN}
[ -x "$A" ] && [ -x "$O/tests/mkcap" ] || { echo "skip: build asanalyze and mkcap first"; exit 0; }
[ -x /usr/bin/time ] || { echo "skip: /usr/bin/time not installed"; exit 0; }
D=$(mktemp -d /tmp/bench-analyze.XXXXXX)
trap 'rm -rf "$D"' EXIT
C=$D/big.pcapng.zst
# shellcheck disable=SC2086
"$O/tests/mkcap" "$C" --records "$N" $CHILDREN >/dev/null || exit 1
echo "capture: $N records${CHILDREN:+ ($CHILDREN)}, $(du -h "$C" | cut -f1)"

# one run: append "seconds peak_kib" to $D/$1
run() {
	name=$1
	shift
	/usr/bin/time -f "%e %M" -o "$D/t" "$@" >/dev/null 2>"$D/err" ||
		{ echo "$name failed: $(tail -1 "$D/err")"; return 1; }
	tail -1 "$D/t" >>"$D/$name"
}

i=0
while [ $i -lt "$ROUNDS" ]; do
	rm -f "$D/out.db"
	run export "$A" export -q --sqlite "$D/out.db" "$C" || exit 0
	run conversations "$A" conversations -q "$C" || exit 0
	i=$((i + 1))
done

# median [min .. max] of seconds, records/s at the median, highest peak RSS
report() {
	sort -n "$D/$1" | awk -v n="$N" -v label="$2" -v goal="$3" '
		{ t[NR] = $1; if ($2 > m) m = $2 }
		END {
			med = t[int((NR + 1) / 2)]
			rps = med > 0 ? n / med : 0
			printf "%-22s %6.2f s [%.2f .. %.2f]  %8.0f records/s  peak RSS %6.0f MiB  (%s)\n",
			       label, med, t[1], t[NR], rps, m / 1024, goal
		}'
}
report export "export --sqlite" "goal: >= 500000 records/s, RSS bounded by the largest conversation"
report conversations "conversations" "no goal of its own; the same model build"
echo "database: $(du -h "$D/out.db" | cut -f1)"
