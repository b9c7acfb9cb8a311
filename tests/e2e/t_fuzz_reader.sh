#!/bin/sh
# Run the capture reader's libFuzzer target for a bounded time
# (FUZZ_SECONDS, default 30) from the checked-in corpus; any crash, leak,
# sanitizer report or timeout is a failure.
. tests/lib.sh
need_cmd clang
[ -e tests/fuzz/fuzz_reader.c ] || skip_all "no reader fuzz target"
secs=${FUZZ_SECONDS:-30}
check "fuzz target builds" make --no-print-directory O="$O" "$O/fuzz/fuzz_reader"
mkdir -p "$TMPD/corpus"
cp tests/fuzz/corpus/reader/* "$TMPD/corpus/" 2>/dev/null
if "$O/fuzz/fuzz_reader" -max_total_time="$secs" -max_len=300000 -timeout=10 -print_final_stats=1 \
	-rss_limit_mb=2048 "$TMPD/corpus" >"$TMPD/fuzz.log" 2>&1; then
	T_PASS=$((T_PASS + 1))
	echo "ok reader fuzzed for ${secs}s without a finding:" \
		"$(grep -o 'stat::number_of_executed_units: [0-9]*' "$TMPD/fuzz.log")"
else
	T_FAIL=$((T_FAIL + 1))
	echo "not ok reader fuzzing found a problem:"
	tail -30 "$TMPD/fuzz.log"
fi
done_testing
