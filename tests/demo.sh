#!/bin/sh
# make demo: record a scripted agent that talks TLS to the local mock LLM
# (tests/mock/llm_mock.py on 127.0.0.1), receives tool calls and runs them;
# then show it: asanalyze info/conversations/explain/tree, and asreplay
# (interactive on a terminal, --print otherwise).  Without root (no eBPF)
# it falls back to a synthetic capture.
O=${O:-build}
out=${DEMO_OUT:-demo.pcapng.zst}
M=tests/mock
# the system python, not a version-manager shim that forks a dozen shells
PY=$(command -v /usr/bin/python3 || command -v python3)
rm -f "$out" "$out.db"
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

if [ "$(id -u)" = 0 ] && [ -x "$O/asrecord" ]; then
	tmp=$(mktemp -d)
	. $M/mock.sh
	mock_start "$tmp" 60 "$PY" || { echo "demo: the mock LLM did not start" >&2; exit 1; }
	mock=$MOCK port=$PORT cert=$CERT
	cat >"$tmp/agent.sh" <<EOS
$PY $M/llm_client.py --port $port --cacert $cert --api anthropic --stream --run --transcript $tmp/t1.jsonl
$PY $M/llm_client.py --port $port --cacert $cert --api chat --gzip --run --transcript $tmp/t2.jsonl
EOS
	say "asrecord -w $out -- sh agent.sh    # a scripted agent against a local TLS mock LLM"
	"$O/asrecord" -w "$out" -- sh "$tmp/agent.sh"
	kill $mock 2>/dev/null
	rm -rf "$tmp"
else
	echo "demo: not root or no asrecord: writing a synthetic capture instead"
	"$O/tests/mkcap" "$out" --records 2000 || exit 1
fi
say "asanalyze info $out"
"$O/asanalyze" info "$out"
say "asanalyze conversations $out"
"$O/asanalyze" conversations "$out" | head -60
say "asanalyze explain $out"
"$O/asanalyze" explain "$out" | head -30
say "asanalyze tree $out"
"$O/asanalyze" tree "$out"
if [ -t 0 ] && [ -t 1 ] && [ -z "$CI" ]; then
	say "asreplay $out    # q quits, ? shows the keys"
	"$O/asreplay" "$out"
else
	say "asreplay --print $out | grep -v ' file ' | head -40    # no terminal: the timeline as text"
	"$O/asreplay" --print "$out" | grep -v " file " | head -40
fi
