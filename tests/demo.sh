#!/bin/sh
# make demo: record a session (real eBPF when asrecord is built and we are
# root; a synthetic capture otherwise) and show it with asanalyze.
O=${O:-build}
out=${DEMO_OUT:-demo.pcapng.zst}
rm -f "$out"
if [ -x "$O/asrecord" ] && [ "$(id -u)" = 0 ]; then
	echo "demo: recording a small shell session with asrecord"
	"$O/asrecord" -w "$out" -- sh -c 'ls / >/dev/null; echo hi > /tmp/asight-demo.txt;
		mv /tmp/asight-demo.txt /tmp/asight-demo2.txt; rm -f /tmp/asight-demo2.txt;
		curl -s -o /dev/null http://127.0.0.1:9/ ; exit 3' || true
fi
if [ ! -e "$out" ]; then
	echo "demo: writing a synthetic capture (asrecord not available here)"
	"$O/tests/mkcap" "$out" --records 2000 || exit 1
fi
echo
echo "\$ asanalyze info $out"
"$O/asanalyze" info "$out"
echo
echo "\$ asanalyze dump $out | head -40"
"$O/asanalyze" dump "$out" | head -40
echo
echo "\$ asanalyze verify $out"
"$O/asanalyze" verify "$out"
