# tests/mock/mock.sh - start the local TLS mock LLM (sourced by tests and
# the demo).
#
#   mock_start DIR LIFETIME [PYTHON]   sets MOCK (pid), PORT and CERT;
#                                      the mock logs what it served to
#                                      DIR/served.jsonl; returns 1 when it
#                                      did not come up within 10 s;
#                                      MOCK_PROFILE=NAME loads
#                                      tests/mock/profile_NAME.py
mock_start() {
	_dir=$1
	_py=${3:-python3}
	# a mock.out left by an earlier run would be read before the new
	# mock truncates it
	rm -f "$_dir/mock.out"
	"$_py" tests/mock/llm_mock.py --lifetime "$2" --log "$_dir/served.jsonl" \
		${MOCK_PROFILE:+--profile "$MOCK_PROFILE"} \
		>"$_dir/mock.out" &
	MOCK=$!
	_i=0
	while [ ! -s "$_dir/mock.out" ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	PORT=$(awk '{print $2}' "$_dir/mock.out")
	CERT=$(awk '{print $4}' "$_dir/mock.out")
	[ -n "$PORT" ] || { kill "$MOCK" 2>/dev/null; return 1; }
}
