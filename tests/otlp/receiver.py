#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""receiver.py - a stand-in OTLP/HTTP collector on 127.0.0.1 for
t_export_otlp.sh: saves each POST's body as DIR/body.N, and its path and
Content-Type as DIR/req.N ("PATH CONTENT-TYPE"); answers 200 with an
ExportTraceServiceResponse ({}), or 503 when the path holds "fail".
Writes its port to DIR/port; exits after LIFETIME seconds.

  receiver.py DIR LIFETIME
"""
import http.server, os, sys, threading


class H(http.server.BaseHTTPRequestHandler):
    n = 0

    def do_POST(self):
        d = sys.argv[1]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        H.n += 1
        with open(os.path.join(d, "body.%d" % H.n), "wb") as f:
            f.write(body)
        with open(os.path.join(d, "req.%d" % H.n), "w") as f:
            f.write("%s %s\n" % (self.path, self.headers.get("Content-Type")))
        code, out = (503, b"collector unavailable\n") if "fail" in self.path else (200, b"{}")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *a):
        pass


s = http.server.HTTPServer(("127.0.0.1", 0), H)
threading.Timer(float(sys.argv[2]), s.shutdown).start()
with open(os.path.join(sys.argv[1], "port.tmp"), "w") as f:
    f.write("%d\n" % s.server_address[1])
os.rename(os.path.join(sys.argv[1], "port.tmp"), os.path.join(sys.argv[1], "port"))
s.serve_forever()
