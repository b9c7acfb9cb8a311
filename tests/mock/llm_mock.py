#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""llm_mock.py - a local TLS mock of the Anthropic Messages, OpenAI Chat
Completions + Responses and Gemini generateContent/streamGenerateContent
APIs, serving scripted turns for tests.

  llm_mock.py [--lifetime S] [--log FILE] [--profile NAME]

--profile NAME loads tests/mock/profile_NAME.py, which scripts what one
real agent CLI expects (its tool names, side calls, extra endpoints): the
module may define handle(handler, method) -> bool (True when it answered
the request itself) and adjust(turn, req, handler) (changes a Turn before
it is served).  Requests are served on one thread each, as real agents
open several connections at once.

Binds 127.0.0.1 only, on a free port, with a throwaway self-signed
certificate made by openssl in a temporary directory.  Prints one line
"PORT <port> CERT <path>" and serves until /quit is requested or
--lifetime seconds (default 60) have passed, then removes the directory.

Turns: a request whose last message is a user prompt gets a tool call
(a shell command); a request whose last message is a tool result gets a
final text answer.  "stream": true (or :streamGenerateContent) gets SSE;
Accept-Encoding: gzip gets a gzip body (streamed ones flushed per event).
Header x-mock-error: 1 gets the provider's error response.  Every served
answer is appended to --log as one JSON object (what the analyzer must
find).
"""
import argparse, gzip, importlib, json, os, shutil, ssl, subprocess, sys, tempfile, threading, time, zlib
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer

TOOL_CMD = "ls -la /tmp/asight-mock"
FINAL = "The directory holds 2 files: a.txt and b.txt."
THINK = "The user wants a listing; I will run ls."


def plan(api, req, path):
    """What to answer: (tool_turn, model)."""
    if api == "anthropic":
        last = (req.get("messages") or [{}])[-1]
        c = last.get("content")
        tool_turn = not (isinstance(c, list) and any(b.get("type") == "tool_result" for b in c))
        return tool_turn, req.get("model", "claude-sonnet-4-20250514")
    if api == "chat":
        last = (req.get("messages") or [{}])[-1]
        return last.get("role") != "tool", req.get("model", "gpt-4o")
    if api == "responses":
        inp = req.get("input")
        tool_turn = not (isinstance(inp, list) and inp and inp[-1].get("type") == "function_call_output")
        return tool_turn, req.get("model", "gpt-4.1")
    last = (req.get("contents") or [{}])[-1]
    tool_turn = not any("functionResponse" in p for p in last.get("parts", []))
    model = path.split("/models/")[1].split(":")[0]
    return tool_turn, model


def pieces(s, n=3):
    """Split s into n uneven pieces (exercises delta joining)."""
    k = max(1, len(s) // n)
    return [s[i:i + k] for i in range(0, len(s), k)]


class Turn:
    def __init__(self, api, tool_turn, model, n):
        self.api, self.tool, self.model, self.n = api, tool_turn, model, n
        self.text = "Let me look." if tool_turn else FINAL
        self.thinking = THINK if api == "anthropic" and tool_turn else ""
        self.args = {"command": TOOL_CMD}
        self.call_id = {"anthropic": "toolu_01Mock%d" % n, "chat": "call_mock%d" % n,
                        "responses": "fc_mock%d" % n, "gemini": None}[api]
        self.name = {"anthropic": "Bash", "chat": "shell", "responses": "shell",
                     "gemini": "run_shell"}[api]
        self.in_tok, self.out_tok, self.cache_read, self.cache_write = 1200 + n, 85 + n, 1000, 200
        if api != "anthropic":
            self.cache_write = None
        self.finish = {"anthropic": "tool_use" if tool_turn else "end_turn",
                       "chat": "tool_calls" if tool_turn else "stop",
                       "responses": "completed", "gemini": "STOP"}[api]

    def expect(self, stream, gz, status=200):
        d = self.expect_fields(stream, gz, status)
        if getattr(self, "purpose", None):
            d["purpose"] = self.purpose  # set by a profile
        return d

    def expect_fields(self, stream, gz, status):
        return {"api": self.api, "model": self.model, "stream": stream, "gzip": gz,
                "status": status, "text": self.text, "thinking": self.thinking,
                "tool_calls": [{"id": self.call_id, "name": self.name, "args": self.args}]
                if self.tool else [], "input_tokens": self.in_tok, "output_tokens": self.out_tok,
                "cache_read_tokens": self.cache_read, "cache_write_tokens": self.cache_write,
                "finish_reason": self.finish}


# ---- Anthropic Messages ----
def anthropic_body(t):
    content = []
    if t.thinking:
        content.append({"type": "thinking", "thinking": t.thinking, "signature": "c2ln"})
    content.append({"type": "text", "text": t.text})
    if t.tool:
        content.append({"type": "tool_use", "id": t.call_id, "name": t.name, "input": t.args})
    return {"id": "msg_mock%d" % t.n, "type": "message", "role": "assistant", "model": t.model,
            "content": content, "stop_reason": t.finish, "stop_sequence": None,
            "usage": {"input_tokens": t.in_tok, "output_tokens": t.out_tok,
                      "cache_read_input_tokens": t.cache_read,
                      "cache_creation_input_tokens": t.cache_write}}


def anthropic_events(t):
    msg = anthropic_body(t)
    start = dict(msg, content=[], stop_reason=None,
                 usage=dict(msg["usage"], output_tokens=1))
    yield "message_start", {"type": "message_start", "message": start}
    yield "ping", {"type": "ping"}
    i = 0
    if t.thinking:
        yield "content_block_start", {"type": "content_block_start", "index": i,
                                      "content_block": {"type": "thinking", "thinking": ""}}
        for p in pieces(t.thinking):
            yield "content_block_delta", {"type": "content_block_delta", "index": i,
                                          "delta": {"type": "thinking_delta", "thinking": p}}
        yield "content_block_delta", {"type": "content_block_delta", "index": i,
                                      "delta": {"type": "signature_delta", "signature": "c2ln"}}
        yield "content_block_stop", {"type": "content_block_stop", "index": i}
        i += 1
    yield "content_block_start", {"type": "content_block_start", "index": i,
                                  "content_block": {"type": "text", "text": ""}}
    for p in pieces(t.text):
        yield "content_block_delta", {"type": "content_block_delta", "index": i,
                                      "delta": {"type": "text_delta", "text": p}}
    yield "content_block_stop", {"type": "content_block_stop", "index": i}
    if t.tool:
        i += 1
        yield "content_block_start", {"type": "content_block_start", "index": i,
                                      "content_block": {"type": "tool_use", "id": t.call_id,
                                                        "name": t.name, "input": {}}}
        for p in pieces(json.dumps(t.args), 4):
            yield "content_block_delta", {"type": "content_block_delta", "index": i,
                                          "delta": {"type": "input_json_delta", "partial_json": p}}
        yield "content_block_stop", {"type": "content_block_stop", "index": i}
    yield "message_delta", {"type": "message_delta", "delta": {"stop_reason": t.finish,
                            "stop_sequence": None}, "usage": {"output_tokens": t.out_tok}}
    yield "message_stop", {"type": "message_stop"}


# ---- OpenAI Chat Completions ----
def chat_usage(t):
    return {"prompt_tokens": t.in_tok + t.cache_read, "completion_tokens": t.out_tok,
            "total_tokens": t.in_tok + t.cache_read + t.out_tok,
            "prompt_tokens_details": {"cached_tokens": t.cache_read}}


def chat_body(t):
    msg = {"role": "assistant", "content": t.text}
    if t.tool:
        msg["tool_calls"] = [{"id": t.call_id, "type": "function", "function": {
            "name": t.name, "arguments": json.dumps(t.args)}}]
    return {"id": "chatcmpl-mock%d" % t.n, "object": "chat.completion", "created": 1,
            "model": t.model, "choices": [{"index": 0, "message": msg,
                                           "finish_reason": t.finish}], "usage": chat_usage(t)}


def chat_events(t):
    base = {"id": "chatcmpl-mock%d" % t.n, "object": "chat.completion.chunk", "created": 1,
            "model": t.model}
    yield None, dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""},
                                     "finish_reason": None}])
    for p in pieces(t.text):
        yield None, dict(base, choices=[{"index": 0, "delta": {"content": p},
                                         "finish_reason": None}])
    if t.tool:
        yield None, dict(base, choices=[{"index": 0, "delta": {"tool_calls": [{
            "index": 0, "id": t.call_id, "type": "function",
            "function": {"name": t.name, "arguments": ""}}]}, "finish_reason": None}])
        for p in pieces(json.dumps(t.args), 4):
            yield None, dict(base, choices=[{"index": 0, "delta": {"tool_calls": [{
                "index": 0, "function": {"arguments": p}}]}, "finish_reason": None}])
    yield None, dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": t.finish}])
    yield None, dict(base, choices=[], usage=chat_usage(t))
    yield None, "[DONE]"


# ---- OpenAI Responses ----
def resp_output(t):
    out = [{"type": "message", "id": "msg_r%d" % t.n, "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": t.text, "annotations": []}]}]
    if t.tool:
        out.append({"type": "function_call", "id": "fcitem%d" % t.n, "call_id": t.call_id,
                    "name": t.name, "arguments": json.dumps(t.args), "status": "completed"})
    return out


def resp_body(t, status="completed"):
    return {"id": "resp_mock%d" % t.n, "object": "response", "status": status,
            "model": t.model, "output": resp_output(t) if status == "completed" else [],
            "usage": {"input_tokens": t.in_tok + t.cache_read, "output_tokens": t.out_tok,
                      "input_tokens_details": {"cached_tokens": t.cache_read},
                      "total_tokens": t.in_tok + t.cache_read + t.out_tok}}


def resp_events(t):
    yield "response.created", {"type": "response.created", "response": resp_body(t, "in_progress")}
    yield "response.output_item.added", {"type": "response.output_item.added", "output_index": 0,
                                         "item": {"type": "message", "role": "assistant"}}
    for p in pieces(t.text):
        yield "response.output_text.delta", {"type": "response.output_text.delta",
                                             "output_index": 0, "delta": p}
    if t.tool:
        yield "response.output_item.added", {"type": "response.output_item.added", "output_index": 1,
                                             "item": {"type": "function_call", "call_id": t.call_id,
                                                      "name": t.name, "arguments": ""}}
        for p in pieces(json.dumps(t.args), 4):
            yield "response.function_call_arguments.delta", {
                "type": "response.function_call_arguments.delta", "output_index": 1, "delta": p}
    yield "response.completed", {"type": "response.completed", "response": resp_body(t)}


# ---- Gemini ----
def gem_usage(t):
    return {"promptTokenCount": t.in_tok + t.cache_read, "candidatesTokenCount": t.out_tok,
            "cachedContentTokenCount": t.cache_read,
            "totalTokenCount": t.in_tok + t.cache_read + t.out_tok}


def gem_chunk(t, parts, last):
    c = {"content": {"role": "model", "parts": parts}, "index": 0}
    if last:
        c["finishReason"] = t.finish
    d = {"candidates": [c], "modelVersion": t.model, "responseId": "gem%d" % t.n}
    if last:
        d["usageMetadata"] = gem_usage(t)
    return d


def gem_body(t):
    parts = [{"text": t.text}]
    if t.thinking:
        parts.insert(0, {"text": t.thinking, "thought": True})
    if t.tool:
        parts.append({"functionCall": {"name": t.name, "args": t.args}})
    return gem_chunk(t, parts, True)


def gem_events(t):
    if t.thinking:
        yield None, gem_chunk(t, [{"text": t.thinking, "thought": True}], False)
    ps = pieces(t.text)
    for i, p in enumerate(ps):
        last = i == len(ps) - 1 and not t.tool
        yield None, gem_chunk(t, [{"text": p}], last)
    if t.tool:
        yield None, gem_chunk(t, [{"functionCall": {"name": t.name, "args": t.args}}], True)


APIS = {
    "anthropic": (anthropic_body, anthropic_events),
    "chat": (chat_body, chat_events),
    "responses": (resp_body, resp_events),
    "gemini": (gem_body, gem_events),
}
ERRORS = {
    "anthropic": (529, {"type": "error", "error": {"type": "overloaded_error",
                                                   "message": "Overloaded"}}),
    "chat": (429, {"error": {"message": "Rate limit reached", "type": "rate_limit_error",
                             "code": "rate_limit_exceeded"}}),
    "responses": (429, {"error": {"message": "Rate limit reached", "type": "rate_limit_error",
                                  "code": "rate_limit_exceeded"}}),
    "gemini": (400, {"error": {"code": 400, "message": "API key not valid",
                               "status": "INVALID_ARGUMENT"}}),
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "llm-mock/1"
    timeout = 10

    def log_message(self, *a):
        pass

    def route(self):
        p = self.path.split("?")[0]
        if p.endswith("/messages"):
            return "anthropic", False
        if p.endswith("/chat/completions"):
            return "chat", False
        if p.endswith("/responses"):
            return "responses", False
        if ":streamGenerateContent" in p:
            return "gemini", True
        if ":generateContent" in p:
            return "gemini", False
        return None, False

    def profile_handled(self, method):
        prof = self.server.profile
        return prof is not None and hasattr(prof, "handle") and prof.handle(self, method)

    def do_HEAD(self):
        if self.profile_handled("HEAD"):
            return
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        if self.profile_handled("GET"):
            return
        if self.path == "/quit":
            self.server.quit = True
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        if self.profile_handled("POST"):
            return
        api, gstream = self.route()
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        if self.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        try:
            req = json.loads(raw or b"{}")
        except ValueError:
            req = None
        if api is None or req is None:
            return self.send_json(404 if api is None else 400, {"error": "bad request"}, False)
        gz = "gzip" in (self.headers.get("Accept-Encoding") or "")
        with self.server.lock:
            self.server.turns += 1
            n = self.server.turns
        tool_turn, model = plan(api, req, self.path)
        t = Turn(api, tool_turn, model, n)
        prof = self.server.profile
        if prof is not None and hasattr(prof, "adjust"):
            prof.adjust(t, req, self)
        if self.headers.get("x-mock-error"):
            status, body = ERRORS[api]
            self.server.log({"api": api, "status": status, "error": body, "gzip": gz})
            return self.send_json(status, body, gz)
        stream = gstream or bool(req.get("stream"))
        if api == "gemini" and gstream and "alt=sse" not in self.path:
            # streamGenerateContent without alt=sse: a JSON array of chunks
            self.server.log(t.expect(True, gz))
            return self.send_json(200, [d for _, d in gem_events(t)], gz)
        self.server.log(t.expect(stream, gz))
        if stream:
            return self.send_sse(APIS[api][1](t), gz)
        return self.send_json(200, APIS[api][0](t), gz)

    def send_json(self, status, obj, gz):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if gz:
            body = gzip.compress(body)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("request-id", "req_mock%d" % self.server.turns)
        self.end_headers()
        self.wfile.write(body)

    def send_sse(self, events, gz):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        z = None
        if gz:
            self.send_header("Content-Encoding", "gzip")
            z = zlib.compressobj(6, zlib.DEFLATED, 31)
        self.end_headers()
        for name, data in events:
            text = data if isinstance(data, str) else json.dumps(data)
            ev = ("event: %s\n" % name if name else "") + "data: %s\n\n" % text
            b = ev.encode()
            if z:
                b = z.compress(b) + z.flush(zlib.Z_SYNC_FLUSH)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
            self.wfile.flush()
            time.sleep(0.003)
        if z:
            b = z.flush()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, logpath, profile=None):
        super().__init__(addr, Handler)
        self.profile = profile
        self.quit = False
        self.turns = 0
        self.logpath = logpath
        self.lock = threading.Lock()

    def log(self, obj):
        if not self.logpath:
            return
        with self.lock, open(self.logpath, "a") as f:
            f.write(json.dumps(obj) + "\n")


def make_cert(d):
    key, crt = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", crt, "-days", "1", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return key, crt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lifetime", type=float, default=60)
    ap.add_argument("--log")
    ap.add_argument("--profile")
    a = ap.parse_args()
    prof = None
    if a.profile:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        prof = importlib.import_module("profile_" + a.profile)
    d = tempfile.mkdtemp(prefix="llm-mock.")
    try:
        # a profile may make its own (rustls refuses a CA:TRUE leaf)
        key, crt = (prof.make_cert if hasattr(prof, "make_cert") else make_cert)(d)
        srv = Server(("127.0.0.1", 0), a.log, prof)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        ctx.set_alpn_protocols(["http/1.1"])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        srv.timeout = 0.2
        print("PORT %d CERT %s" % (srv.server_address[1], crt), flush=True)
        deadline = time.time() + a.lifetime
        while not srv.quit and time.time() < deadline:
            srv.handle_request()
        srv.server_close()
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
