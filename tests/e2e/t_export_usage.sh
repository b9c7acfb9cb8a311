#!/bin/sh
# t_export_usage.sh - `asanalyze export` names every output it can write:
# without one it exits 2 naming them all, and --help lists them all.
. tests/lib.sh

T=$O/asanalyze
MK=$O/tests/mkcap
[ -x "$T" ] && [ -x "$MK" ] || skip_all "build asanalyze and mkcap first"

check "mkcap writes a capture" "$MK" "$TMPD/c.pcapng.zst" --records 100
"$T" export "$TMPD/c.pcapng.zst" >"$TMPD/none.out" 2>&1
check "export without an output exits 2" [ $? = 2 ]
"$T" export --help >"$TMPD/help.out" 2>&1
check "export --help exits 0" [ $? = 0 ]
check_grep "--help: the usage line" "^usage: asanalyze export OUTPUT\.\.\. \[OPTIONS\] FILE\.\.\.$" \
	"$TMPD/help.out"
for o in "--sqlite OUT.db" "--jsonl OUT" "--otlp OUT.json" "--otlp-endpoint URL" \
	"--perfetto OUT.json" "--pcapng OUT.pcapng"; do
	check "the message names $o" grep -qF -- "$o" "$TMPD/none.out"
	# the OUTPUT lines right under the usage line, not only the option list
	check "the usage lines name $o" sh -c "sed -n 2,3p '$TMPD/help.out' | grep -qF -- '$o'"
done
check_grep "the message says what is missing" \
	"^asanalyze: export: give an output: --sqlite OUT.db, .*; see 'asanalyze export --help'$" \
	"$TMPD/none.out"
done_testing
