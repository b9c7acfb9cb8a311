#!/bin/sh
# t_export_stream.sh - `export --sqlite` alone streams the model (rows
# written as they are found and forgotten, model_sink) instead of keeping
# it whole; the database must be the same, row for row, as the one written
# from the whole model (ASANALYZE_NO_STREAM=1, the path --jsonl and the
# other outputs take).  Compared with `sqlite3 .dump` (every table in
# primary key order) on synthetic captures (mkcap: processes, files,
# sockets, keep-alive HTTP, continuation chunks) and on real LLM API bytes
# from the TLS mock (mkllmcap: tool processes and their effects, agents in
# parallel, tiny reads, a lost record, a cut stream), and on a process
# table that is freed as it goes (mkproccap).
. tests/lib.sh

T=$O/asanalyze
MK=$O/tests/mkcap
MKL=$O/tests/mkllmcap
[ -x "$T" ] && [ -x "$MK" ] || skip_all "build asanalyze and mkcap first (make)"
need_cmd sqlite3

# same NAME CAPTURE: both ways, dumps equal, summary lines equal
same() {
	_n=$1
	_c=$2
	"$T" export --sqlite "$TMPD/$_n.live.db" "$_c" 2>"$TMPD/$_n.live.err"
	_r1=$?
	ASANALYZE_NO_STREAM=1 "$T" export --sqlite "$TMPD/$_n.full.db" "$_c" \
		2>"$TMPD/$_n.full.err"
	_r2=$?
	check "$_n: both exports exit 0" [ "$_r1$_r2" = 00 ]
	# exec_id is the one number that may differ: a finished process's
	# execs are written as soon as it is freed (processes keep their ids),
	# so execs are compared in (process, exec_id) order without it
	for _w in live full; do
		sqlite3 "$TMPD/$_n.$_w.db" .dump | grep -v '^INSERT INTO execs VALUES' \
			>"$TMPD/$_n.$_w.sql"
		sqlite3 "$TMPD/$_n.$_w.db" "SELECT proc_id, ts_ns, filename, argv, cwd FROM execs
			ORDER BY proc_id, exec_id" >>"$TMPD/$_n.$_w.sql"
	done
	check "$_n: streamed database equals the whole model's" \
		diff "$TMPD/$_n.full.sql" "$TMPD/$_n.live.sql"
	sed "s/'[^']*'//" "$TMPD/$_n.full.err" >"$TMPD/$_n.full.sum"
	sed "s/'[^']*'//" "$TMPD/$_n.live.err" >"$TMPD/$_n.live.sum"
	check "$_n: same counts in the summary" \
		diff "$TMPD/$_n.full.sum" "$TMPD/$_n.live.sum"
}

# rows of TABLE in DB
rows() {
	sqlite3 "$1" "SELECT count(*) FROM $2"
}

"$MK" "$TMPD/a.pcapng.zst" --records 20000 --big 300000 >/dev/null
same mkcap "$TMPD/a.pcapng.zst"
check "mkcap: tool effects were found" [ "$(rows "$TMPD/mkcap.live.db" tool_effects)" -gt 1000 ]
check "mkcap: continuation chunks are rows" \
	[ "$(rows "$TMPD/mkcap.live.db" tls_chunks)" -gt 2600 ]

# the process table: processes written and freed as they finish (exited
# more than 5 s of capture time ago, no child left, nothing queued for
# them); tool effects of grandchildren whose parents exited long before,
# deep chains, pids reused, threads, a parent known only from an exec
MKP=$O/tests/mkproccap
if [ -x "$MKP" ]; then
	"$MKP" "$TMPD/p.pcapng.zst" >/dev/null
	same procs "$TMPD/p.pcapng.zst"
	q() {
		sqlite3 "$TMPD/procs.live.db" "$1"
	}
	check "procs: pids were reused" \
		[ "$(q "SELECT count(*) - count(DISTINCT pid) FROM processes")" -gt 1000 ]
	check "procs: effects of processes whose parent and grandparent had exited" \
		[ "$(q "SELECT count(*) FROM tool_effects e JOIN processes p USING (proc_id)
			JOIN processes pp ON pp.proc_id = p.parent_id
			JOIN processes gp ON gp.proc_id = pp.parent_id
			WHERE gp.t_end_ns < e.ts_ns AND pp.t_end_ns < e.ts_ns")" -ge 150 ]
	check "procs: a parent known only from an exec is linked" \
		[ "$(q "SELECT count(parent_id) FROM processes WHERE pid >= 20000 AND pid < 21000")" \
		  = 30 ]
	# exec_id is given as processes are written: freed ones came before
	# processes with lower ids that were still running
	check "procs: processes were written (and freed) as they finished" \
		[ "$(q "SELECT group_concat(proc_id) FROM (SELECT proc_id FROM execs ORDER BY exec_id)")" \
		  != "$(sqlite3 "$TMPD/procs.full.db" \
			"SELECT group_concat(proc_id) FROM (SELECT proc_id FROM execs ORDER BY exec_id)")" ]
else
	skip_one "process table capture" "build mkproccap first (make)"
fi

# an export cut short by a crash (closed frames only)
"$MK" "$TMPD/b.pcapng.zst" --records 5000 --seed 7 --abort-after 3000 >/dev/null
same aborted "$TMPD/b.pcapng.zst.part"

if [ ! -x "$MKL" ] || ! command -v python3 >/dev/null 2>&1 ||
	! command -v openssl >/dev/null 2>&1; then
	skip_one "LLM captures" "mkllmcap, python3 or openssl missing"
	done_testing
	exit 0
fi
M=tests/mock
. $M/mock.sh
if ! mock_start "$TMPD" 120; then
	skip_one "LLM captures" "the mock did not start"
	done_testing
	exit 0
fi
n=0
TR=""
run() {
	n=$((n + 1))
	python3 $M/llm_client.py --port "$PORT" --cacert "$CERT" --transcript "$TMPD/t$n.jsonl" "$@" \
		>>"$TMPD/client.log" 2>&1 || echo "client $n ($*) failed" >>"$TMPD/client.err"
	TR="$TR $TMPD/t$n.jsonl"
}
for api in anthropic chat responses gemini; do
	run --api $api
	run --api $api --stream --newconn
	run --api $api --stream --gzip
done
run --api anthropic --error
run --api gemini --error --stream --sse-alt
python3 -c "import urllib.request,ssl; c=ssl.create_default_context(cafile='$CERT'); \
urllib.request.urlopen('https://127.0.0.1:$PORT/quit', context=c).read()" 2>/dev/null
wait $MOCK
check "every client ran" [ ! -e "$TMPD/client.err" ]

# shellcheck disable=SC2086
"$MKL" "$TMPD/l.pcapng.zst" $TR
same llm "$TMPD/l.pcapng.zst"
check "llm: tool effects were found" [ "$(rows "$TMPD/llm.live.db" tool_effects)" -gt 10 ]
check "llm: every call (two turns each)" [ "$(rows "$TMPD/llm.live.db" llm_calls)" = 26 ]
# shellcheck disable=SC2086
"$MKL" "$TMPD/p.pcapng.zst" --parallel $TR
same parallel "$TMPD/p.pcapng.zst"
# shellcheck disable=SC2086
"$MKL" "$TMPD/r.pcapng.zst" --rechunk 7 --seed 3 $TR
same rechunk "$TMPD/r.pcapng.zst"
# shellcheck disable=SC2086
"$MKL" "$TMPD/d.pcapng.zst" --drop 5 --cut 300 $TR
same drop "$TMPD/d.pcapng.zst"
check "drop: the lost record is a seq_gap row" \
	[ "$(sqlite3 "$TMPD/drop.live.db" "SELECT count(*) FROM drops WHERE kind = 'seq_gap'")" \
	  -ge 1 ]

done_testing
