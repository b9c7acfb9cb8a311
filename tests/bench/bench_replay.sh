#!/bin/sh
# bench_replay.sh - asreplay on a 1-million-record capture: time and peak
# RSS to analyze it into the cache, to open the cache, to scroll from the
# first event to the last in tmux (G, then PgUp and PgDn), and to --print
# every event; the time to the first screen of a first open (no cache: the
# timeline from memory while the cache is written) next to a cached open,
# medians of $REPLAY_BENCH_ROUNDS interleaved rounds (5).  Figures only;
# nothing here passes or fails.
O=${O:-build}
R=$O/asreplay
N=${REPLAY_BENCH_RECORDS:-1000000}
[ -x "$R" ] && [ -x "$O/tests/mkcap" ] || { echo "skip: build asreplay and mkcap first"; exit 0; }
command -v tmux >/dev/null || { echo "skip: tmux not installed"; exit 0; }
D=$(mktemp -d /tmp/bench-replay.XXXXXX)
SOCK=bench-replay-$$
trap 'tmux -L $SOCK kill-server 2>/dev/null; rm -rf "$D"' EXIT
C=$D/big.pcapng.zst
"$O/tests/mkcap" "$C" --records "$N" >/dev/null || exit 1
echo "capture: $N records, $(du -h "$C" | cut -f1)"

t() { /usr/bin/time -f "%e s, peak RSS %M KiB" "$@"; }
printf 'analyze into the cache (--print >/dev/null): '
t "$R" --print -q "$C" 2>&1 >/dev/null | tail -1
echo "cache: $(du -h "$C.db" | cut -f1), $(sqlite3 "$C.db" 'SELECT count(*) FROM rp_events' 2>/dev/null) events"
printf 'open the cache and --print every event: '
t "$R" --print -q "$C" 2>&1 >/dev/null | tail -1

wait_for() {
	i=0
	while [ $i -lt 1500 ]; do
		tmux -L $SOCK capture-pane -p -t b 2>/dev/null | grep -qE "$1" && return 0
		sleep 0.02; i=$((i + 1))
	done
	return 1
}

# Seconds from starting asreplay in tmux to its first timeline screen;
# with "first", without a cache (the timeline from memory while the cache
# is written; then waits for the cache and prints the peak RSS to $D/rss).
open_time() {
	[ "$1" = first ] && rm -f "$C.db"
	tmux -L $SOCK kill-server 2>/dev/null
	rm -f "$D/rss" # time(1) opens it at the start
	start=$(date +%s.%N)
	tmux -L $SOCK -f /dev/null new-session -d -s b -x 120 -y 40 \
		"env LANG=C.UTF-8 TERM=screen-256color /usr/bin/time -f %M -o $D/rss $R $C; sleep 30"
	wait_for "asreplay .* timeline" || { echo "asreplay did not open" >&2; return 1; }
	echo "$(date +%s.%N) - $start" | bc
	if [ "$1" = first ]; then
		tmux -L $SOCK send-keys -t b End
		wait_for " ([0-9]+)/\1$" || echo "End did not reach the end" >&2
		wait_for "^ asreplay [^[]* events *$" || echo "the cache was not written" >&2
	fi
	tmux -L $SOCK send-keys -t b Q
	i=0
	while [ ! -s "$D/rss" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
	tmux -L $SOCK kill-server 2>/dev/null
}

# median and spread (min-max) of the numbers on stdin
stats() {
	sort -n | awk '{ v[NR] = $1 } END { if (!NR) { print "n/a"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "median %.2f s (min %.2f, max %.2f, %d runs)", m, v[1], v[NR], NR }'
}

# first open (no cache) and cached open, in interleaved rounds: the machine
# may be busy, so the median and the spread rather than one figure
ROUNDS=${REPLAY_BENCH_ROUNDS:-5}
: >"$D/first"
: >"$D/cached"
: >"$D/first_rss"
r=0
while [ $r -lt "$ROUNDS" ]; do
	open_time first >>"$D/first"
	cat "$D/rss" >>"$D/first_rss" 2>/dev/null
	open_time cached >>"$D/cached"
	r=$((r + 1))
done
echo "tmux: first open (no cache, to the first screen): $(stats <"$D/first")"
echo "tmux: cached open (to the first screen):          $(stats <"$D/cached")"
echo "tmux: peak RSS of a first open (until the cache is written and q): $(sort -n "$D/first_rss" | tail -1) KiB"

# interactive: open, End, then page back and forth; VmHWM is the peak RSS
tmux -L $SOCK kill-server 2>/dev/null
tmux -L $SOCK -f /dev/null new-session -d -s b -x 120 -y 40 \
	"env LANG=C.UTF-8 TERM=screen-256color $R $C; sleep 30"
start=$(date +%s.%N)
wait_for "asreplay .* timeline" || { echo "asreplay did not open"; exit 0; }
opened=$(date +%s.%N)
pid=$(pgrep -f "^$R $C" | head -1)
tmux -L $SOCK send-keys -t b End
wait_for " ([0-9]+)/\1$"
ended=$(date +%s.%N)
i=0
while [ $i -lt 200 ]; do tmux -L $SOCK send-keys -t b PgUp; i=$((i + 1)); done
tmux -L $SOCK send-keys -t b Home
wait_for " 1/[0-9]+$"
i=0
while [ $i -lt 200 ]; do tmux -L $SOCK send-keys -t b PgDn; i=$((i + 1)); done
tmux -L $SOCK send-keys -t b / t o o l Enter f k i n d = e x i t Enter
wait_for "filter: kind=exit"
echo "tmux: open $(echo "$opened - $start" | bc) s, End $(echo "$ended - $opened" | bc) s"
[ -n "$pid" ] && echo "tmux: peak RSS after open, End, 400 pages, search, filter: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)"
tmux -L $SOCK capture-pane -p -t b | tail -1
