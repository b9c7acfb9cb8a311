#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ws_client.py - a scripted two-turn agent speaking the OpenAI Responses API
over a WebSocket, as Codex does, to llm_mock.py --profile ws.  Standard
library only: ssl + socket, frames and client masking by hand.

  ws_client.py --port P --cacert CERT [--deflate] [--fragments N] [--run]
               [--transcript OUT.jsonl]

It upgrades GET /v1/responses (Authorization: Bearer with a fake key,
permessage-deflate offered with --deflate), sends a response.create with
instructions, a user prompt and a "shell" tool, reads the events up to
response.completed (a function call), "runs" the command (really with
--run), then sends a second response.create with only the
function_call_output and previous_response_id, reads the final answer,
pings, and closes with code 1000.  With --stale-prev it first sends a third
response.create naming a previous_response_id the server never gave
(answered by an "error" event).  With --warmup the first request is
Codex's pre-warm ("generate": false, the prompt and tools, no answer
wanted) and turn 1 continues it with previous_response_id and no new
input.  Client messages go in N frames with
--fragments N.  --transcript logs every TLS write and read in the format of
llm_client.py, so tests/tools/mkllmcap can turn it into a capture.
Prints "done RESP1 RESP2" at the end.
"""
import argparse, base64, hashlib, json, os, socket, ssl, struct, subprocess, sys, time, zlib

KEY = "sk-proj-WSFAKEKEYFORTESTS0123456789abcdefXYZ"
PROMPT = "List the files in /tmp/asight-mock please."
SYSTEM = "You are a careful shell assistant."
CMD = "ls -la /tmp/asight-mock"
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TOOLS = [{"type": "function", "name": "shell", "description": "Run a shell command",
          "parameters": {"type": "object", "properties": {"command": {"type": "string"}}}}]


class Log:
    def __init__(self, path):
        self.f = open(path, "w") if path else None
        self.t0 = time.monotonic_ns()

    def put(self, **kw):
        if self.f:
            kw["t"] = time.monotonic_ns() - self.t0
            self.f.write(json.dumps(kw) + "\n")
            self.f.flush()


class Ws:
    def __init__(self, a, log):
        ctx = ssl.create_default_context(cafile=a.cacert)
        ctx.set_alpn_protocols(["http/1.1"])
        raw = socket.create_connection(("127.0.0.1", a.port))
        self.s = ctx.wrap_socket(raw, server_hostname="localhost")
        self.log, self.buf, self.frags = log, b"", a.fragments
        log.put(ev="connect", conn=1, port=a.port)
        self.deflate = False
        self.handshake(a)
        self.z = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.unz = zlib.decompressobj(-15)

    def write(self, b):
        self.s.sendall(b)
        self.log.put(ev="w", conn=1, hex=b.hex())

    def fill(self, n):
        while len(self.buf) < n:
            b = self.s.recv(16384)
            if not b:
                raise EOFError("server closed the connection")
            self.log.put(ev="r", conn=1, hex=b.hex())
            self.buf += b

    def take(self, n):
        self.fill(n)
        b, self.buf = self.buf[:n], self.buf[n:]
        return b

    def handshake(self, a):
        key = base64.b64encode(os.urandom(16)).decode()
        ext = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" \
            if a.deflate else ""
        self.write(("GET /v1/responses HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s"
                    "Authorization: Bearer %s\r\n"
                    "OpenAI-Beta: responses_websockets=2026-02-06\r\n"
                    "originator: ws_client\r\n\r\n" % (a.port, key, ext, KEY)).encode())
        while b"\r\n\r\n" not in self.buf:
            self.fill(len(self.buf) + 1)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        h = head.decode().lower()
        if not h.startswith("http/1.1 101"):
            sys.exit("ws_client: upgrade refused: %s" % head.decode().splitlines()[0])
        want = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode().lower()
        if "sec-websocket-accept: " + want not in h:
            sys.exit("ws_client: bad Sec-WebSocket-Accept")
        self.deflate = "permessage-deflate" in h
        self.no_context = "server_no_context_takeover" in h

    def frame(self, op, p, fin=True, rsv1=False):
        mask = os.urandom(4)
        n = len(p)
        h = bytes([(0x80 if fin else 0) | (0x40 if rsv1 else 0) | op])
        if n < 126:
            h += bytes([0x80 | n])
        elif n < 65536:
            h += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            h += bytes([0x80 | 127]) + struct.pack(">Q", n)
        return h + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(p))

    def send(self, obj):
        p = json.dumps(obj).encode()
        if self.deflate:
            p = (self.z.compress(p) + self.z.flush(zlib.Z_SYNC_FLUSH))[:-4]
        k = max(1, -(-len(p) // self.frags))
        parts = [p[i:i + k] for i in range(0, len(p), k)]
        # a ping between the fragments: control frames may interleave
        out = b""
        for i, c in enumerate(parts):
            out += self.frame(1 if i == 0 else 0, c, i == len(parts) - 1,
                              self.deflate and i == 0)
            if i == 0 and len(parts) > 1:
                out += self.frame(9, b"mid")
        self.write(out)

    def recv(self):
        """The next data message as text (pongs and pings handled), or None on close."""
        parts, comp = [], False
        while True:
            h = self.take(2)
            op, n = h[0] & 0x0F, h[1] & 0x7F
            if n == 126:
                n = struct.unpack(">H", self.take(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self.take(8))[0]
            p = self.take(n)
            if op == 9:
                self.write(self.frame(10, p))
                continue
            if op == 10:
                continue
            if op == 8:
                return None
            if op in (1, 2):
                comp = bool(h[0] & 0x40)
            parts.append(p)
            if h[0] & 0x80:
                break
        p = b"".join(parts)
        if comp:
            p = self.unz.decompress(p + b"\x00\x00\xff\xff")
            if self.no_context:
                self.unz = zlib.decompressobj(-15)
        return p.decode()


def turn(ws, body):
    """Send one response.create; the response id, text and function calls."""
    ws.send(body)
    rid, text, calls = None, "", {}
    while True:
        m = ws.recv()
        if m is None:
            sys.exit("ws_client: closed before response.completed")
        ev = json.loads(m)
        t = ev.get("type")
        if t == "response.output_text.delta":
            text += ev["delta"]
        elif t == "response.output_item.added" and ev["item"].get("type") == "function_call":
            calls[ev["output_index"]] = dict(ev["item"], arguments="")
        elif t == "response.function_call_arguments.delta":
            calls[ev["output_index"]]["arguments"] += ev["delta"]
        elif t == "error":
            return None, m, []
        elif t == "response.completed":
            rid = ev["response"]["id"]
            return rid, text, list(calls.values())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cacert", required=True)
    ap.add_argument("--deflate", action="store_true")
    ap.add_argument("--fragments", type=int, default=1)
    ap.add_argument("--run", action="store_true")
    ap.add_argument("--stale-prev", action="store_true")
    ap.add_argument("--warmup", action="store_true")
    ap.add_argument("--transcript")
    a = ap.parse_args()
    log = Log(a.transcript)
    ws = Ws(a, log)
    base = {"type": "response.create", "model": "gpt-4.1", "instructions": SYSTEM,
            "tools": TOOLS, "tool_choice": "auto", "parallel_tool_calls": False,
            "store": False, "stream": True}
    user = {"type": "message", "role": "user",
            "content": [{"type": "input_text", "text": PROMPT}]}
    if a.warmup:
        r0, _, _ = turn(ws, dict(base, input=[user], generate=False))
        r1, _, calls = turn(ws, dict(base, previous_response_id=r0, input=[]))
    else:
        r1, _, calls = turn(ws, dict(base, input=[user]))
    if not r1 or not calls:
        sys.exit("ws_client: no function call in turn 1")
    log.put(ev="exec", argv=["/bin/sh", "-c", CMD], writes=["/tmp/asight-mock/ls.out"],
            cwd="/tmp/asight-mock")
    if a.run:
        os.makedirs("/tmp/asight-mock", exist_ok=True)
        with open("/tmp/asight-mock/ls.out", "w") as out:
            subprocess.run(["/bin/sh", "-c", json.loads(calls[0]["arguments"])["command"]],
                           stdout=out, cwd="/tmp/asight-mock")
    out = {"type": "function_call_output", "call_id": calls[0]["call_id"],
           "output": "a.txt\nb.txt"}
    r2, text, _ = turn(ws, dict(base, previous_response_id=r1, input=[out]))
    if a.stale_prev:
        r3, err, _ = turn(ws, dict(base, previous_response_id="resp_gone", input=[user]))
        if r3 is not None or "previous_response_not_found" not in err:
            sys.exit("ws_client: a stale previous_response_id was answered")
    ws.write(ws.frame(9, b"bye?"))
    ws.write(ws.frame(8, struct.pack(">H", 1000) + b"done"))
    try:
        while ws.recv() is not None:
            pass
    except EOFError:
        pass  # closed without its close frame: nothing left to read
    ws.s.close()
    print("done %s %s %s" % (r1, r2, json.dumps(text)))


if __name__ == "__main__":
    main()
