# SPDX-License-Identifier: MIT
"""profile_codex.py - what OpenAI's Codex CLI (@openai/codex, `codex exec`)
needs from the mock (llm_mock.py --profile codex).

Codex talks to the provider of $CODEX_HOME/config.toml (base_url ending in
/v1, wire_api = "responses"; without supports_websockets it uses HTTP and
SSE, not the Responses-over-WebSocket transport it uses for OpenAI itself):
  POST /v1/responses   one model turn, "stream": true; codex builds its
       history from the response.output_item.done events (the output of
       response.completed is not read), and takes the token counts from
       response.completed's usage
  GET  /v1/models      a model list (some versions ask at start)
  GET  /v1/responses   with supports_websockets = true: a WebSocket upgrade,
       then the Responses API over it (tests/mock/ws.py), with a pre-warm
       request ("generate": false) first and incremental input after
Anything else is logged to the served log as {"unhandled": ...} and gets
404.

The scripted session: the user prompt gets a message and a function call
of the shell tool codex offers (shell_command: a command string, shell: an
argv, exec_command: a cmd string; all run through `bash -lc`) with a
command that writes $MOCK_CODEX_DIR/codex-out.txt and lists the directory;
the request that carries its function_call_output gets the final text.
Every request is logged with its purpose ("turn" or "side-call": a request
that offers no tools, e.g. a title or summary) and the tool name used.

MOCK_CODEX_HOLD=FILE holds the answer to the first POST /v1/responses until
FILE exists (60 s at most), after logging {"holding": FILE}: a test attaches
asrecord -p meanwhile.  That answer is then a 500 (logged as {"held": ...},
not as a call), which codex retries when request_max_retries allows: the
request of the held call went out before asrecord attached, the retry and
everything after it (the tool call, its output, the final text) come after.

MOCK_CODEX_NO_LAST_CHUNK=1 never sends the empty chunk that ends a chunked
answer: codex closes after response.completed, so the body ends between
chunks.
"""
import json
import os
import threading
import time

DIR = os.environ.get("MOCK_CODEX_DIR", "/tmp/asight-codex")
COMMAND = "echo hi > %s/codex-out.txt; ls %s" % (DIR, DIR)
FIRST = "I will write the file."
FINAL = "Done: codex-out.txt now holds hi."
SHELL_TOOLS = ("shell_command", "shell", "exec_command", "local_shell")
HOLD = os.environ.get("MOCK_CODEX_HOLD")
NO_LAST_CHUNK = os.environ.get("MOCK_CODEX_NO_LAST_CHUNK") == "1"
_held = threading.Event()


def send_json(h, status, obj):
    body = json.dumps(obj).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def tool_names(req):
    out = []
    for t in req.get("tools") or []:
        n = t.get("name") or (t.get("function") or {}).get("name") or t.get("type")
        if n:
            out.append(n)
    return out


def shell_call(req):
    """(tool name, arguments) for the shell tool the request offers."""
    names = tool_names(req)
    for n in SHELL_TOOLS:
        if n in names:
            break
    else:
        n = "shell"
    if n == "shell":
        return n, {"command": ["bash", "-lc", COMMAND], "workdir": DIR}
    if n == "exec_command":
        return n, {"cmd": COMMAND, "workdir": DIR}
    return n, {"command": COMMAND, "workdir": DIR}


def answered(req):
    """The call_id of a function_call_output in the input, or None."""
    for it in reversed(req.get("input") or []):
        if isinstance(it, dict) and it.get("type") == "function_call_output":
            return it.get("call_id")
    return None


IN, OUT, CACHED = 1400, 60, 1000  # tokens of turn n: IN + n new, CACHED cached, OUT + n out


def user_prompt(req):
    """The last plain user message (what codex exec was asked)."""
    for it in reversed(req.get("input") or []):
        if isinstance(it, dict) and it.get("role") == "user":
            for c in it.get("content") or []:
                t = c.get("text", "") if isinstance(c, dict) else ""
                if t and not t.startswith("<"):
                    return t
    return None


def tool_output(req, call_id):
    for it in req.get("input") or []:
        if isinstance(it, dict) and it.get("type") == "function_call_output" and \
                it.get("call_id") == call_id:
            o = it.get("output")
            return o if isinstance(o, str) else json.dumps(o)
    return None


def usage(n):
    return {"input_tokens": IN + n + CACHED, "input_tokens_details": {"cached_tokens": CACHED},
            "output_tokens": OUT + n, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": IN + CACHED + OUT + 2 * n}


def events(n, model, text, call, use=None):
    rid = "resp_mock%d" % n  # the id ws.serve_responses expects back
    base = {"id": rid, "object": "response", "model": model, "created_at": 1}
    yield "response.created", {"type": "response.created", "sequence_number": 0,
                               "response": dict(base, status="in_progress", output=[])}
    msg = {"type": "message", "id": "msg_codex%d" % n, "role": "assistant",
           "status": "in_progress", "content": []}
    yield "response.output_item.added", {"type": "response.output_item.added",
                                         "output_index": 0, "item": msg}
    k = max(1, len(text) // 3)
    for i in range(0, len(text), k):
        yield "response.output_text.delta", {"type": "response.output_text.delta",
                                             "item_id": msg["id"], "output_index": 0,
                                             "content_index": 0, "delta": text[i:i + k]}
    done = dict(msg, status="completed",
                content=[{"type": "output_text", "text": text, "annotations": []}])
    yield "response.output_item.done", {"type": "response.output_item.done",
                                        "output_index": 0, "item": done}
    out = [done]
    if call:
        name, args, call_id = call
        fc = {"type": "function_call", "id": "fc_codex%d" % n, "call_id": call_id,
              "name": name, "arguments": "", "status": "in_progress"}
        yield "response.output_item.added", {"type": "response.output_item.added",
                                             "output_index": 1, "item": fc}
        a = json.dumps(args)
        k = max(1, len(a) // 4)
        for i in range(0, len(a), k):
            yield "response.function_call_arguments.delta", {
                "type": "response.function_call_arguments.delta", "item_id": fc["id"],
                "output_index": 1, "delta": a[i:i + k]}
        fc = dict(fc, arguments=a, status="completed")
        yield "response.output_item.done", {"type": "response.output_item.done",
                                            "output_index": 1, "item": fc}
        out.append(fc)
    yield "response.completed", {"type": "response.completed", "response": dict(
        base, status="completed", output=out, usage=use or usage(n))}


def send_sse(h, evs):
    h.send_response(200)
    h.send_header("Content-Type", "text/event-stream")
    h.send_header("Cache-Control", "no-cache")
    h.send_header("Transfer-Encoding", "chunked")
    h.send_header("x-request-id", "req_codex%d" % h.server.turns)
    h.end_headers()
    evs = list(evs)
    for i, (name, data) in enumerate(evs):
        b = ("event: %s\ndata: %s\n\n" % (name, json.dumps(data))).encode()
        b = b"%x\r\n%s\r\n" % (len(b), b)
        if i == len(evs) - 1 and not NO_LAST_CHUNK:
            # with the last event: codex stops reading at response.completed
            # and closes, so a separate final chunk would never be decrypted
            b += b"0\r\n\r\n"
        h.wfile.write(b)
        h.wfile.flush()
        time.sleep(0.003)


def hold(h):
    """Hold the first answer until HOLD exists, then fail it with a 500
    on a closed connection (the retry gets a fresh one); True if held."""
    with h.server.lock:
        if not HOLD or _held.is_set():
            return False
        _held.set()
    # a test waits for this line, attaches asrecord -p, then creates HOLD
    h.server.log({"profile": "codex", "holding": HOLD, "path": h.path})
    for _ in range(600):
        if os.path.exists(HOLD):
            break
        time.sleep(0.1)
    h.server.log({"profile": "codex", "held": HOLD, "status": 500})
    h.close_connection = True
    body = json.dumps({"error": {"message": "held by the mock", "type": "server_error"}})
    h.send_response(500)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(body)))
    h.send_header("Connection", "close")
    h.end_headers()
    h.wfile.write(body.encode())
    return True


def responses(h):
    n = int(h.headers.get("Content-Length") or 0)
    raw = h.rfile.read(n)
    if hold(h):
        return True
    try:
        req = json.loads(raw or b"{}")
    except ValueError:
        h.server.log({"unhandled": "POST", "path": h.path, "why": "not json",
                      "encoding": h.headers.get("Content-Encoding")})
        send_json(h, 400, {"error": {"message": "bad json", "type": "invalid_request_error"}})
        return True
    with h.server.lock:
        h.server.turns += 1
        turn = h.server.turns
    model = req.get("model", "gpt-5-codex")
    tools = tool_names(req)
    done = answered(req)
    purpose = "turn" if tools else "side-call"
    call = None
    text = FINAL
    if purpose == "turn" and not done:
        name, args = shell_call(req)
        call = (name, args, "call_codex%d" % turn)
        text = FIRST
    elif purpose == "side-call":
        text = "Mock summary."
    h.server.log({"api": "responses", "model": model, "stream": True, "gzip": False,
                  "status": 200, "text": text, "thinking": "", "purpose": purpose,
                  "tools_offered": tools, "answered_call": done,
                  "tool_calls": [{"id": call[2], "name": call[0], "args": call[1]}]
                  if call else [], "input_tokens": IN + turn, "output_tokens": OUT + turn,
                  "cache_read_tokens": CACHED, "cache_write_tokens": None,
                  "finish_reason": "completed", "instructions": bool(req.get("instructions")),
                  "user_prompt": user_prompt(req), "tool_output": tool_output(req, done)})
    send_sse(h, events(turn, model, text, call))
    return True


def ws_adjust(t, req, h):
    """A WebSocket turn (ws.serve_responses): the same script as over HTTP."""
    t.purpose = "turn" if tool_names(req) else "side-call"
    if t.tool and t.purpose == "turn":
        t.name, t.args = shell_call(req)
        t.call_id = "call_codex%d" % t.n
        t.text = FIRST
    else:
        t.tool, t.text = False, FINAL


def ws_events(t):
    use = {"input_tokens": t.in_tok + t.cache_read,
           "input_tokens_details": {"cached_tokens": t.cache_read},
           "output_tokens": t.out_tok, "total_tokens": t.in_tok + t.cache_read + t.out_tok}
    call = (t.name, t.args, t.call_id) if t.tool else None
    return events(t.n, t.model, t.text, call, use)


def handle(h, method):
    path = h.path.split("?")[0]
    if method == "GET" and path.endswith("/responses"):
        import ws  # tests/mock/ws.py: codex with supports_websockets = true
        if ws.is_upgrade(h):
            conn = ws.accept(h, deflate=True)
            ws.serve_responses(h, conn, adjust=ws_adjust, events=ws_events)
            return True
    if method == "POST" and path.endswith("/responses"):
        return responses(h)
    if method == "GET" and path.rstrip("/").endswith("/models"):
        h.server.log({"profile": "codex", "served": "models", "path": h.path})
        send_json(h, 200, {"object": "list", "data": [
            {"id": "gpt-5-codex", "object": "model", "owned_by": "mock"}]})
        return True
    if path == "/quit":
        return False
    n = int(h.headers.get("Content-Length") or 0)
    if n:
        h.rfile.read(n)
    h.server.log({"unhandled": method, "path": h.path})
    send_json(h, 404, {"error": {"message": "not in the mock", "type": "not_found"}})
    return True


def make_cert(d):
    """A CA and a leaf it signs, in one file (leaf first, then the CA).

    rustls (webpki) refuses the mock's default self-signed certificate,
    whose basicConstraints say CA:TRUE, as a server certificate
    (CaUsedAsEndEntity); codex trusts the CA of this file through
    SSL_CERT_FILE."""
    import subprocess
    j = lambda n: os.path.join(d, n)
    run = lambda *a: subprocess.run(list(a), check=True, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", j("ca.key"),
        "-out", j("ca.pem"), "-days", "1", "-subj", "/CN=asight mock CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", j("key.pem"),
        "-out", j("leaf.csr"), "-subj", "/CN=localhost")
    with open(j("ext.cnf"), "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("openssl", "x509", "-req", "-in", j("leaf.csr"), "-CA", j("ca.pem"), "-CAkey",
        j("ca.key"), "-CAcreateserial", "-out", j("leaf.pem"), "-days", "1", "-extfile",
        j("ext.cnf"))
    with open(j("cert.pem"), "w") as f:
        f.write(open(j("leaf.pem")).read() + open(j("ca.pem")).read())
    return j("key.pem"), j("cert.pem")
