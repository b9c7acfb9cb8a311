#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mkcorpus.py OUTDIR TRANSCRIPT... - seed the fuzz corpora from
llm_client.py transcripts (real bytes the mock served):
  OUTDIR/llm/NAME    client bytes, "\\n--RESPONSE--\\n", server bytes (first connection)
  OUTDIR/http1/NAME  the server byte stream (responses) and the client's (requests)
  OUTDIR/sse/NAME    de-chunked SSE bodies that are not compressed
"""
import json, os, sys


def dechunk(b):
    out = b""
    while b:
        line, _, b = b.partition(b"\r\n")
        n = int(line.split(b";")[0] or b"0", 16)
        if not n:
            break
        out, b = out + b[:n], b[n + 2:]
    return out


def main():
    out = sys.argv[1]
    for d in ("llm", "http1", "sse"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    for path in sys.argv[2:]:
        name = os.path.basename(path).replace(".jsonl", "")
        w, r = b"", b""
        for line in open(path):
            e = json.loads(line)
            if e.get("conn") != 1 or "hex" not in e:
                continue
            if e["ev"] == "w":
                w += bytes.fromhex(e["hex"])
            else:
                r += bytes.fromhex(e["hex"])
        open(os.path.join(out, "llm", name), "wb").write(w + b"\n--RESPONSE--\n" + r)
        open(os.path.join(out, "http1", name + "-resp"), "wb").write(r)
        open(os.path.join(out, "http1", name + "-req"), "wb").write(w)
        head, _, body = r.partition(b"\r\n\r\n")
        if b"event-stream" in head and b"Content-Encoding" not in head:
            open(os.path.join(out, "sse", name), "wb").write(dechunk(body))


if __name__ == "__main__":
    main()
