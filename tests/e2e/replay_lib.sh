# tests/e2e/replay_lib.sh - helpers for t_replay_*.sh (sourced after tests/lib.sh).
#
#   replay_agent_cap OUT [hostile]   a two-call agent session with one tool call
#                                    (Anthropic Messages bytes, wrapped by mkllmcap);
#                                    "hostile" fills it with terminal escape sequences
#   tm_start ROWSxCOLS ARGS...       run asreplay ARGS in a private tmux server
#   tm_keys KEYS...                  tmux send-keys
#   tm_wait PATTERN                  poll the screen until PATTERN shows (10 s bound)
#   tm_shot FILE                     the screen as text into FILE
#   tm_stop
#
# tmux runs on its own socket (-L) so tests never touch the user's sessions.

R=$O/asreplay
MKLLM=$O/tests/mkllmcap
[ -x "$R" ] || skip_all "build asreplay first (make)"
[ -x "$MKLLM" ] || skip_all "build mkllmcap first (make)"
need_cmd tmux
need_cmd python3
TM_SOCK=asreplay-test-$$
trap 'tmux -L "$TM_SOCK" kill-server 2>/dev/null' EXIT

replay_agent_cap() {
	python3 - "$TMPD/agent.jsonl" "${2:-}" <<'PY'
import json, sys
out, hostile = sys.argv[1], sys.argv[2] == "hostile"
ESC = "\x1b"
evil = (ESC + "]2;pwned" + "\x07" + ESC + "[31mRED" + ESC + "[0m" + ESC + "[2J" +
        "\u202edesrever" + "\x9b31m") if hostile else ""
def req(messages, extra=b""):
    body = json.dumps({"model": "claude-sonnet-4-20250514", "max_tokens": 100,
                       "system": "You are a test agent." + evil,
                       "messages": messages}).encode()
    return (b"POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\n"
            b"Content-Type: application/json\r\nx-api-key: sk-ant-test-SECRET\r\n" + extra +
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
def resp(content, stop, extra=b""):
    body = json.dumps({"id": "msg_r", "type": "message", "role": "assistant",
                       "model": "claude-sonnet-4-20250514", "content": content,
                       "stop_reason": stop,
                       "usage": {"input_tokens": 100, "output_tokens": 20}}).encode()
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra +
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
raw = b"X-Evil: \x1b]0;owned\x07\x1b[5m\xff\xfe\r\n" if hostile else b""
cmd = "ls /tmp/replay-demo" + (ESC + "[31mevil" if hostile else "")
user = {"role": "user", "content": "List /tmp/replay-demo please." + evil}
use = {"type": "tool_use", "id": "toolu_replay1", "name": "Bash", "input": {"command": cmd}}
ev = [
    {"ev": "connect", "conn": 1, "port": 443, "t": 1000000},
    {"ev": "w", "conn": 1, "hex": req([user], raw).hex(), "t": 2000000},
    {"ev": "r", "conn": 1, "hex": resp([{"type": "text", "text": "I will look." + evil}, use],
                                       "tool_use", raw).hex(), "t": 300000000},
    {"ev": "exec", "argv": ["/bin/sh", "-c", cmd], "writes": ["/tmp/replay-demo/out.txt" + evil],
     "cwd": "/tmp/replay-demo", "t": 310000000},
    {"ev": "w", "conn": 1, "hex": req([user, {"role": "assistant", "content": [use]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_replay1",
                                      "content": "a.txt"}]}]).hex(), "t": 900000000},
    {"ev": "r", "conn": 1, "hex": resp([{"type": "text", "text": "Found a.txt." + evil}],
                                       "end_turn").hex(), "t": 1500000000},
]
with open(out, "w") as f:
    for e in ev:
        f.write(json.dumps(e) + "\n")
PY
	"$MKLLM" "$1" "$TMPD/agent.jsonl" >/dev/null
}

tm_start() {
	geo=$1
	shift
	tmux -L "$TM_SOCK" kill-server 2>/dev/null
	tmux -L "$TM_SOCK" -f /dev/null new-session -d -s r -x "${geo#*x}" -y "${geo%x*}" \
		"env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color $R $*; echo ASREPLAY-EXITED \$?; sleep 60"
}

tm_keys() {
	tmux -L "$TM_SOCK" send-keys -t r "$@"
}

tm_shot() {
	tmux -L "$TM_SOCK" capture-pane -p -t r >"$1"
}

# Polls (bounded) rather than sleeping a fixed time: asserts on content, never on speed.
tm_wait() {
	i=0
	while [ $i -lt 100 ]; do
		tmux -L "$TM_SOCK" capture-pane -p -t r 2>/dev/null | grep -qE -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

tm_stop() {
	tmux -L "$TM_SOCK" kill-server 2>/dev/null
}

# Press j until PATTERN shows (at most 100 times).
tm_seek() {
	i=0
	while [ $i -lt 100 ]; do
		tmux -L "$TM_SOCK" capture-pane -p -t r 2>/dev/null | grep -qE -- "$1" && return 0
		tmux -L "$TM_SOCK" send-keys -t r j
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
