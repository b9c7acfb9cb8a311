#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""llm_client.py - a scripted two-turn agent for llm_mock.py that logs the
exact plaintext of every TLS write and read, as SSL_write/SSL_read see it.

  llm_client.py --port P --cacert CERT --api anthropic|chat|responses|gemini
                [--stream] [--gzip] [--error] [--newconn] [--sse-alt]
                --transcript OUT.jsonl

Turn 1 sends a prompt with tools; the mock answers with a tool call; the
client logs that it "ran" the command (an exec event and a file write,
which tests/tools/mkllmcap turns into process and file records), then
turn 2 sends the tool result and gets the final answer.  Transcript lines:
  {"ev": "connect", "conn": N, "t": NS, "port": P}
  {"ev": "w"|"r", "conn": N, "t": NS, "hex": "..."}
  {"ev": "exec", "t": NS, "argv": [...], "writes": [PATH...], "t_end": NS}
"""
import argparse, json, os, socket, ssl, subprocess, time

KEYS = {"anthropic": "sk-ant-api03-FAKEKEYFORTESTS0123456789abcdefXYZ",
        "openai": "sk-proj-FAKEKEYFORTESTS0123456789abcdefXYZ",
        "gemini": "AIzaSyFAKEKEYFORTESTS0123456789abcdefXY"}
PROMPT = "List the files in /tmp/asight-mock please."
SYSTEM = "You are a careful shell assistant."
CMD = "ls -la /tmp/asight-mock"


class Log:
    def __init__(self, path):
        self.f = open(path, "w")
        self.t0 = time.monotonic_ns()

    def put(self, **kw):
        kw["t"] = time.monotonic_ns() - self.t0
        self.f.write(json.dumps(kw) + "\n")
        self.f.flush()


class Conn:
    def __init__(self, a, log, n):
        ctx = ssl.create_default_context(cafile=a.cacert)
        ctx.set_alpn_protocols(["http/1.1"])
        raw = socket.create_connection(("127.0.0.1", a.port))
        self.s = ctx.wrap_socket(raw, server_hostname="localhost")
        self.log, self.n = log, n
        log.put(ev="connect", conn=n, port=a.port)
        self.buf = b""

    def send(self, b):
        self.s.sendall(b)
        self.log.put(ev="w", conn=self.n, hex=b.hex())

    def recv(self):
        b = self.s.recv(16384)
        if b:
            self.log.put(ev="r", conn=self.n, hex=b.hex())
        return b

    def response(self):
        """Read one whole response (Content-Length or chunked)."""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.recv()
        head, rest = self.buf.split(b"\r\n\r\n", 1)
        hl = head.decode().lower()
        if "transfer-encoding: chunked" in hl:
            while not rest.endswith(b"0\r\n\r\n"):
                rest += self.recv()
            self.buf = b""
            return head, dechunk(rest)
        n = int(hl.split("content-length:")[1].split("\r\n")[0])
        while len(rest) < n:
            rest += self.recv()
        self.buf = rest[n:]
        return head, rest[:n]


def dechunk(b):
    out = b""
    while True:
        line, b = b.split(b"\r\n", 1)
        n = int(line, 16)
        if not n:
            return out
        out, b = out + b[:n], b[n + 2:]


def bodies(api, stream, tool_result, prev):
    tools = {"name": "Bash", "description": "Run a shell command",
             "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}
    fn = {"name": "shell", "description": "Run a shell command",
          "parameters": {"type": "object", "properties": {"command": {"type": "string"}}}}
    if api == "anthropic":
        msgs = [{"role": "user", "content": PROMPT}]
        if tool_result:
            msgs += [{"role": "assistant", "content": prev["content"]},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id":
                      prev["tool_id"], "content": "a.txt\nb.txt"}]}]
        return {"model": "claude-sonnet-4-20250514", "max_tokens": 1024, "system": SYSTEM,
                "messages": msgs, "tools": [tools], "stream": stream}
    if api == "chat":
        msgs = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}]
        if tool_result:
            msgs += [prev["message"], {"role": "tool", "tool_call_id": prev["tool_id"],
                                       "content": "a.txt\nb.txt"}]
        b = {"model": "gpt-4o-2024-08-06", "messages": msgs,
             "tools": [{"type": "function", "function": fn}], "stream": stream}
        if stream:
            b["stream_options"] = {"include_usage": True}
        return b
    if api == "responses":
        inp = [{"role": "user", "content": PROMPT}]
        if tool_result:
            inp += [{"type": "function_call", "call_id": prev["tool_id"], "name": "shell",
                     "arguments": json.dumps({"command": CMD})},
                    {"type": "function_call_output", "call_id": prev["tool_id"],
                     "output": "a.txt\nb.txt"}]
        return {"model": "gpt-4.1", "instructions": SYSTEM, "input": inp,
                "tools": [dict(fn, type="function")], "stream": stream}
    contents = [{"role": "user", "parts": [{"text": PROMPT}]}]
    if tool_result:
        contents += [{"role": "model", "parts": [{"functionCall": {"name": "run_shell",
                      "args": {"command": CMD}}}]},
                     {"role": "user", "parts": [{"functionResponse": {"name": "run_shell",
                      "response": {"output": "a.txt\nb.txt"}}}]}]
    return {"systemInstruction": {"parts": [{"text": SYSTEM}]}, "contents": contents,
            "tools": [{"functionDeclarations": [dict(name="run_shell",
                       description=fn["description"], parameters=fn["parameters"])]}]}


def request(a, api, body):
    if api == "anthropic":
        path, hdrs = "/v1/messages", {"x-api-key": KEYS["anthropic"],
                                      "anthropic-version": "2023-06-01"}
    elif api in ("chat", "responses"):
        path = "/v1/chat/completions" if api == "chat" else "/v1/responses"
        hdrs = {"Authorization": "Bearer " + KEYS["openai"]}
    else:
        verb = "streamGenerateContent" if a.stream else "generateContent"
        path = "/v1beta/models/gemini-2.5-flash:%s" % verb
        if a.stream and a.sse_alt:
            path += "?alt=sse"
        hdrs = {"x-goog-api-key": KEYS["gemini"]}
    data = json.dumps(body).encode()
    h = "POST %s HTTP/1.1\r\nHost: localhost:%d\r\nContent-Type: application/json\r\n" % (
        path, a.port)
    h += "User-Agent: llm-client/1\r\nCookie: session=FAKECOOKIE123\r\n"
    for k, v in hdrs.items():
        h += "%s: %s\r\n" % (k, v)
    if a.gzip:
        h += "Accept-Encoding: gzip\r\n"
    if a.error:
        h += "x-mock-error: 1\r\n"
    h += "Content-Length: %d\r\n\r\n" % len(data)
    return h.encode() + data


def parse_answer(api, head, body):
    """What turn 2 needs from turn 1's answer (non-streamed: from JSON)."""
    import gzip as gz
    if b"content-encoding: gzip" in head.lower():
        body = gz.decompress(body)
    tid = {"anthropic": "toolu_01Mock1", "chat": "call_mock1", "responses": "fc_mock1",
           "gemini": None}[api]
    prev = {"tool_id": tid}
    if api == "anthropic":
        prev["content"] = [{"type": "tool_use", "id": tid, "name": "Bash",
                            "input": {"command": CMD}}]
    if api == "chat":
        prev["message"] = {"role": "assistant", "content": None, "tool_calls": [
            {"id": tid, "type": "function", "function": {"name": "shell",
             "arguments": json.dumps({"command": CMD})}}]}
    return prev


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cacert", required=True)
    ap.add_argument("--api", required=True)
    ap.add_argument("--stream", action="store_true")
    ap.add_argument("--sse-alt", action="store_true")
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--error", action="store_true")
    ap.add_argument("--newconn", action="store_true")
    ap.add_argument("--transcript", required=True)
    ap.add_argument("--run", action="store_true",
                    help="really run the tool call's command (the demo agent)")
    a = ap.parse_args()
    log = Log(a.transcript)
    c = Conn(a, log, 1)
    c.send(request(a, a.api, bodies(a.api, a.stream, False, None)))
    head, body = c.response()
    if a.error:
        return
    prev = parse_answer(a.api, head, body)
    t = log.t0
    log.put(ev="exec", argv=["/bin/sh", "-c", CMD], writes=["/tmp/asight-mock/ls.out"],
            cwd="/tmp/asight-mock")
    if a.run:
        os.makedirs("/tmp/asight-mock", exist_ok=True)
        with open("/tmp/asight-mock/ls.out", "w") as out:
            subprocess.run(["/bin/sh", "-c", CMD], stdout=out, cwd="/tmp/asight-mock")
    time.sleep(0.01)
    if a.newconn:
        c = Conn(a, log, 2)
    c.send(request(a, a.api, bodies(a.api, a.stream, True, prev)))
    c.response()
    del t


if __name__ == "__main__":
    main()
