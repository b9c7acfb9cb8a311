# SPDX-License-Identifier: MIT
"""ws.py - the server side of a WebSocket (RFC 6455) for the TLS mock
(llm_mock.py), and the OpenAI Responses API over it as Codex speaks it.

Used from a profile's handle(handler, "GET"):

    import ws
    if ws.is_upgrade(handler):
        conn = ws.accept(handler, deflate=True)   # 101, permessage-deflate if offered
        ws.serve_responses(handler, conn)           # until the client closes
        return True

accept() answers the upgrade (Sec-WebSocket-Accept from the key; the
client's permessage-deflate offer is taken when deflate=True, with
server_no_context_takeover when no_context=True).  WsConn.recv() returns
(opcode, payload) for each data message (fragments joined, unmasked,
inflated; pings answered) or None once the peer closed; WsConn.send()
sends text or bytes, compressed when negotiated, optionally in fragments.

serve_responses() reads {"type": "response.create", ...} messages and
answers each with the same events the mock streams over SSE for the
Responses API (response.created, output_text deltas, a function call, ...,
response.completed; events(turn) may give others), one text message per
event (in @fragments frames each).  A "generate": false request (Codex's
pre-warm) gets an empty response, logged with purpose "side-call".  Input is
incremental: a request whose previous_response_id this connection did not
answer gets an "error" event (previous_response_not_found).  Every served
answer is logged like the HTTP ones (handler.server.log), with
"transport": "websocket".  adjust(turn, req, handler) is applied as for
HTTP turns when given.
"""
import base64, hashlib, json, os, struct, sys, time, zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llm_mock  # noqa: E402  (Turn, plan, resp_events)

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING, PONG = 1, 2, 8, 9, 10


def is_upgrade(handler):
    return "websocket" in (handler.headers.get("Upgrade") or "").lower()


class WsConn:
    def __init__(self, rfile, wfile, deflate, no_context):
        self.r, self.w = rfile, wfile
        self.deflate, self.no_context = deflate, no_context
        self.inflater = zlib.decompressobj(-15)
        self.deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.closed = False

    def _read(self, n):
        b = b""
        while len(b) < n:
            c = self.r.read(n - len(b))
            if not c:
                raise EOFError
            b += c
        return b

    def _frame(self):
        h = self._read(2)
        fin, rsv1, op = h[0] & 0x80, h[0] & 0x40, h[0] & 0x0F
        n = h[1] & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._read(8))[0]
        key = self._read(4) if h[1] & 0x80 else None
        p = self._read(n)
        if key:
            p = bytes(b ^ key[i & 3] for i, b in enumerate(p))
        return fin, rsv1, op, p

    def recv(self):
        """(opcode, payload) of the next data message, or None after a close."""
        parts, op0, comp = [], None, False
        while True:
            try:
                fin, rsv1, op, p = self._frame()
            except EOFError:
                return None
            if op == PING:
                self._send_frame(PONG, p)
                continue
            if op == PONG:
                continue
            if op == CLOSE:
                if not self.closed:
                    self._send_frame(CLOSE, p[:2])
                self.closed = True
                return None
            if op != 0:
                op0, comp = op, bool(rsv1)
            parts.append(p)
            if fin:
                break
        data = b"".join(parts)
        if comp:
            data = self.inflater.decompress(data + b"\x00\x00\xff\xff")
            if self.no_context:
                self.inflater = zlib.decompressobj(-15)
        return op0, data

    def _send_frame(self, op, p, fin=True, rsv1=False):
        h = bytes([(0x80 if fin else 0) | (0x40 if rsv1 else 0) | op])
        n = len(p)
        if n < 126:
            h += bytes([n])
        elif n < 65536:
            h += bytes([126]) + struct.pack(">H", n)
        else:
            h += bytes([127]) + struct.pack(">Q", n)
        self.w.write(h + p)
        self.w.flush()

    def send(self, data, fragments=1):
        """Send a text (str) or binary (bytes) message, in @fragments frames."""
        op = TEXT if isinstance(data, str) else BINARY
        p = data.encode() if isinstance(data, str) else data
        if self.deflate:
            p = self.deflater.compress(p) + self.deflater.flush(zlib.Z_SYNC_FLUSH)
            p = p[:-4]  # RFC 7692 7.2.1: drop the empty block's tail
            if self.no_context:
                self.deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
        k = max(1, len(p) // max(1, fragments))
        chunks = [p[i:i + k] for i in range(0, len(p), k)] or [b""]
        for i, c in enumerate(chunks):
            self._send_frame(op if i == 0 else 0, c, fin=i == len(chunks) - 1,
                             rsv1=self.deflate and i == 0)

    def close(self, code=1000):
        if not self.closed:
            self._send_frame(CLOSE, struct.pack(">H", code))
            self.closed = True


def accept(handler, deflate=True, no_context=False):
    key = handler.headers.get("Sec-WebSocket-Key", "")
    acc = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    offer = handler.headers.get("Sec-WebSocket-Extensions") or ""
    use = deflate and "permessage-deflate" in offer
    handler.send_response(101, "Switching Protocols")
    handler.send_header("Upgrade", "websocket")
    handler.send_header("Connection", "Upgrade")
    handler.send_header("Sec-WebSocket-Accept", acc)
    if use:
        handler.send_header("Sec-WebSocket-Extensions", "permessage-deflate" +
                            ("; server_no_context_takeover" if no_context else ""))
    handler.end_headers()
    handler.wfile.flush()
    handler.close_connection = True
    return WsConn(handler.rfile, handler.wfile, use, use and no_context)


def serve_responses(handler, conn, adjust=None, fragments=1, events=None):
    """The Responses API over @conn until the client closes it."""
    srv, answered = handler.server, set()
    while True:
        m = conn.recv()
        if m is None:
            return
        try:
            req = json.loads(m[1])
        except ValueError:
            req = {}
        if req.get("type") != "response.create":
            continue  # response.processed and friends need no answer
        prev = req.get("previous_response_id")
        if prev and prev not in answered:
            err = {"type": "invalid_request_error", "code": "previous_response_not_found",
                   "message": "Previous response with id '%s' not found." % prev}
            srv.log({"api": "responses", "status": 400, "error": {"error": err},
                     "gzip": False, "transport": "websocket"})
            conn.send(json.dumps({"type": "error", "status": 400, "error": err}))
            continue
        with srv.lock:
            srv.turns += 1
            n = srv.turns
        tool_turn, model = llm_mock.plan("responses", req, handler.path)
        t = llm_mock.Turn("responses", tool_turn, model, n)
        if req.get("generate") is False:
            t.tool, t.text, t.purpose = False, "", "side-call"
        elif adjust:
            adjust(t, req, handler)
        exp = t.expect(True, False, status=101)  # the upgrade's: no HTTP status per call
        exp["transport"] = "websocket"
        srv.log(exp)
        for _, ev in (events or llm_mock.resp_events)(t):
            conn.send(json.dumps(ev), fragments)
            time.sleep(0.003)  # as the SSE stream does: a measurable TTFT
        answered.add("resp_mock%d" % n)
