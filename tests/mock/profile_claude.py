# SPDX-License-Identifier: MIT
"""profile_claude.py - what Claude Code (`claude -p`) needs from the mock.

Loaded by llm_mock.py --profile claude.  Claude Code 2.1 (a Bun binary)
run with ANTHROPIC_BASE_URL=https://127.0.0.1:PORT, NODE_EXTRA_CA_CERTS,
ANTHROPIC_API_KEY and CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 sends:

  HEAD /                          a pre-connect (Bun warms the connection)
  POST /v1/messages?beta=true     the turns: streamed, ~24 tools offered,
                                  "system" messages in the middle of the
                                  conversation, key in x-api-key
and, depending on version and settings, side calls on a small model with
no tools (title, topic or command-prefix classifiers) and
POST /v1/messages/count_tokens.  Without the NONESSENTIAL_TRAFFIC setting
it first waits on hosts other than the mock (telemetry, feature flags),
which do not exist here.

The script: a user prompt gets a Bash tool call running MOCK_CLAUDE_CMD
(default: write a file into MOCK_CLAUDE_DIR and list it), its tool result
gets the final text (MOCK_CLAUDE_FAIL_FIRST=1: the first request gets a 529
overloaded error first, which Claude retries).  Side calls get a short text answer, count_tokens a
count, any other path a JSON 404; every request is noted in
MOCK_CLAUDE_REQLOG (JSON lines) when that is set, so a new version's needs
show up there.
"""
import json, os, time

FINAL = "Done: claude-out.txt holds hi."


def command():
    cmd = os.environ.get("MOCK_CLAUDE_CMD")
    if cmd:
        return cmd
    d = os.environ.get("MOCK_CLAUDE_DIR", "/tmp")
    return "echo hi > %s/claude-out.txt; ls %s" % (d, d)


def note(handler, method, body=None):
    log = os.environ.get("MOCK_CLAUDE_REQLOG")
    if not log:
        return
    h = {k: v for k, v in handler.headers.items() if k.lower() not in ("x-api-key",
                                                                        "authorization")}
    with handler.server.lock, open(log, "a") as f:
        f.write(json.dumps({"method": method, "path": handler.path, "headers": h,
                            "body": body}) + "\n")


def send(handler, status, obj):
    b = json.dumps(obj).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(b)))
    handler.end_headers()
    handler.wfile.write(b)


def handle(handler, method):
    path = handler.path.split("?")[0]
    if method != "POST":
        note(handler, method)
        if method == "GET" and path != "/quit":
            send(handler, 404, {"type": "error", "error": {"type": "not_found_error",
                                                           "message": "not mocked"}})
            return True
        return False  # HEAD / and /quit: the mock's own answer
    if path.endswith("/count_tokens"):
        n = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(n)
        note(handler, method, body.decode("utf-8", "replace")[:2000])
        send(handler, 200, {"input_tokens": 4242})
        return True
    if path.endswith("/messages") and os.environ.get("MOCK_CLAUDE_FAIL_FIRST"):
        with handler.server.lock:
            first = not getattr(handler.server, "claude_failed", False)
            handler.server.claude_failed = True
        if first:
            # one overloaded error: the SDK sends the same request again
            handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
            note(handler, method, "(answered 529)")
            b = json.dumps({"type": "error", "error": {"type": "overloaded_error",
                                                       "message": "Overloaded"}}).encode()
            handler.send_response(529)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("retry-after-ms", "10")
            handler.send_header("Content-Length", str(len(b)))
            handler.end_headers()
            handler.wfile.write(b)
            return True
    if not path.endswith("/messages"):
        note(handler, method)
        send(handler, 404, {"type": "error", "error": {"type": "not_found_error",
                                                       "message": "not mocked"}})
        return True
    return False


def hold():
    """MOCK_CLAUDE_HOLD=PATH: hold the first answer until PATH exists (a test
    attaches asrecord -p to the running claude meanwhile); PATH.waiting says
    the hold began."""
    path = os.environ.get("MOCK_CLAUDE_HOLD")
    if not path or os.path.exists(path + ".waiting"):
        return
    open(path + ".waiting", "w").close()
    for _ in range(600):
        if os.path.exists(path):
            return
        time.sleep(0.1)


def adjust(turn, req, handler):
    note(handler, "POST", {k: req.get(k) for k in ("model", "max_tokens", "stream")} |
         {"tools": len(req.get("tools") or []), "messages": len(req.get("messages") or [])})
    if not req.get("tools"):
        # a side call: answer with text, never a tool call
        turn.tool = False
        turn.thinking = ""
        turn.text = "Listing files"
        turn.finish = "end_turn"
        turn.purpose = "side-call"
        return
    turn.purpose = "turn"
    hold()
    turn.args = {"command": command()}
    if not turn.tool:
        turn.text = FINAL
