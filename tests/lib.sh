# tests/lib.sh - helpers for tests/e2e/t_*.sh (sourced).
#
#   . tests/lib.sh
#   need_root; need_cmd tshark          skip the whole script with a reason
#   check "title" cmd args...           one assertion: passes when cmd exits 0
#   check_grep "title" PATTERN FILE     passes when PATTERN is found in FILE
#   done_testing                        prints "T: N passed, N failed, N skipped"
#
# Scripts run from the top of the tree with $O (build dir) and $TMPD (a
# fresh temporary directory) set by tests/run.sh.

: "${O:=build}"
: "${TMPD:=$(mktemp -d)}"
# asrecord's discovery cache: the test's own, not the machine's
: "${ASIGHT_CACHE_DIR:=$TMPD/disc-cache}"
export ASIGHT_CACHE_DIR
T_PASS=0
T_FAIL=0
T_SKIP=0

skip_all() {
	echo "skip $(basename "$0"): $*"
	echo "T: 0 passed, 0 failed, 1 skipped"
	exit 0
}

need_root() { [ "$(id -u)" = 0 ] || skip_all "needs root for eBPF"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || skip_all "$1 not installed"; }

check() {
	title=$1
	shift
	if "$@" >"$TMPD/check.out" 2>&1; then
		T_PASS=$((T_PASS + 1))
		echo "ok $title"
	else
		T_FAIL=$((T_FAIL + 1))
		echo "not ok $title"
		echo "  command: $*"
		sed 's/^/  | /' "$TMPD/check.out" | tail -20
	fi
}

check_grep() {
	title=$1
	if grep -qE -- "$2" "$3"; then
		T_PASS=$((T_PASS + 1))
		echo "ok $title"
	else
		T_FAIL=$((T_FAIL + 1))
		echo "not ok $title"
		echo "  pattern '$2' not found in $3:"
		sed 's/^/  | /' "$3" | tail -20
	fi
}

skip_one() {
	T_SKIP=$((T_SKIP + 1))
	echo "skip $1: $2"
}

done_testing() {
	echo "T: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	[ "$T_FAIL" = 0 ]
}
