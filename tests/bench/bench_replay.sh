#!/bin/sh
# bench_replay.sh - asreplay on a 1-million-record capture: time and peak
# RSS to analyze it into the cache, to open the cache, to scroll from the
# first event to the last in tmux (G, then PgUp and PgDn), and to --print
# every event.  Figures only; nothing here passes or fails.
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

# interactive: open, End, then page back and forth; VmHWM is the peak RSS
tmux -L $SOCK -f /dev/null new-session -d -s b -x 120 -y 40 \
	"env LANG=C.UTF-8 TERM=screen-256color $R $C; sleep 30"
wait_for() {
	i=0
	while [ $i -lt 300 ]; do
		tmux -L $SOCK capture-pane -p -t b | grep -qE "$1" && return 0
		sleep 0.05; i=$((i + 1))
	done
	return 1
}
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
