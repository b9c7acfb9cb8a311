# tests/agents/install.sh - install pinned versions of the real agent CLIs
# from npm, cached between runs (sourced by the tests/e2e/t_agent_*.sh).
#
#   agent_install PACKAGE VERSION   sets AGENT_DIR (the npm prefix) and
#                                   AGENT_BIN (its node_modules/.bin);
#                                   returns 1, with the reason in
#                                   AGENT_WHY, when npm cannot install it
#
# The cache lives outside the checkout so that a fresh clone reuses it:
# ASIGHT_AGENT_CACHE, default /var/cache/asight-tests/agents.  A finished
# install is marked by a .done file, so an interrupted one is redone.

# tests/agents/calls.py, the field-by-field comparison the tests share
AGENTS_PY=$(pwd)/tests/agents
export AGENTS_PY

# Pinned versions: CUR is what the tests assert on, OLD is an older
# published build that proves discovery does not depend on one build.
CLAUDE_PKG=@anthropic-ai/claude-code
CLAUDE_CUR=2.1.197
CLAUDE_OLD=2.1.113
GEMINI_PKG=@google/gemini-cli
GEMINI_CUR=0.61.0
GEMINI_OLD=0.51.0
CODEX_PKG=@openai/codex
CODEX_CUR=0.169.0
CODEX_OLD=0.150.0

agent_install() {
	_pkg=$1
	_ver=$2
	_cache=${ASIGHT_AGENT_CACHE:-/var/cache/asight-tests/agents}
	AGENT_DIR="$_cache/$(echo "$_pkg" | tr '/@' '__')-$_ver"
	AGENT_BIN="$AGENT_DIR/node_modules/.bin"
	AGENT_WHY=
	[ -f "$AGENT_DIR/.done" ] && return 0
	if ! command -v npm >/dev/null 2>&1; then
		AGENT_WHY="npm is not installed"
		return 1
	fi
	# a registry out of reach costs 20 s per package, not a full timeout
	if ! timeout 20 npm view "$_pkg@$_ver" version >/dev/null 2>&1; then
		AGENT_WHY="npm view $_pkg@$_ver failed (registry out of reach, or no such version)"
		return 1
	fi
	rm -rf "$AGENT_DIR"
	mkdir -p "$AGENT_DIR" || { AGENT_WHY="cannot create $AGENT_DIR"; return 1; }
	# install scripts stay off: the packages ship their binaries as
	# optional dependencies and do not need them
	if ! timeout 300 npm install --prefix "$AGENT_DIR" --no-audit --no-fund \
		--ignore-scripts "$_pkg@$_ver" >"$AGENT_DIR/npm.log" 2>&1; then
		AGENT_WHY="npm install $_pkg@$_ver failed: $(tail -1 "$AGENT_DIR/npm.log")"
		return 1
	fi
	touch "$AGENT_DIR/.done"
}
