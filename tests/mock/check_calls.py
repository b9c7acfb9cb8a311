#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_calls.py EXPECT.jsonl ACTUAL.jsonl - compare what llm_mock.py served
(its --log) with `asanalyze conversations --json`, call by call, field by
field.  Prints one line per mismatch and "N calls checked"; exits 1 on any
mismatch."""
import json, sys


def load(p):
    return [json.loads(l) for l in open(p) if l.strip()]


def main():
    exp, act = load(sys.argv[1]), load(sys.argv[2])
    bad = 0

    def diff(i, field, want, got):
        nonlocal bad
        if want != got:
            bad += 1
            print("call %d: %s: expected %r, got %r" % (i + 1, field, want, got))

    diff(-1, "number of calls", len(exp), len(act))
    for i, (e, a) in enumerate(zip(exp, act)):
        api = {"anthropic": "messages", "chat": "chat.completions",
               "responses": "responses"}.get(e["api"])
        if api:
            diff(i, "api", api, a["api"])
        else:
            diff(i, "provider", "gemini", a["provider"])
        diff(i, "status", e["status"], a["status"])
        if "error" in e:
            err = e["error"].get("error", e["error"])
            want = err.get("type") or err.get("status")
            diff(i, "error_type", want, a["error_type"])
            diff(i, "error_message", err.get("message"), a["error_message"])
            continue
        diff(i, "model", e["model"], a["model"] or a["model_requested"])
        diff(i, "stream", e["stream"], a["stream"])
        diff(i, "text", e["text"], a["text"])
        diff(i, "thinking", e["thinking"], a["thinking"])
        diff(i, "finish_reason", e["finish_reason"], a["finish_reason"])
        for k in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"):
            diff(i, k, e[k], a[k])
        diff(i, "tool call count", len(e["tool_calls"]), len(a["tool_calls"]))
        for t, u in zip(e["tool_calls"], a["tool_calls"]):
            diff(i, "tool id", t["id"], u["id"])
            diff(i, "tool name", t["name"], u["name"])
            diff(i, "tool args", t["args"], json.loads(u["arguments"]))
        diff(i, "analysis_error", None, a["analysis_error"])
        if a["t_first_token_ns"] is None or a["cost_usd"] is None:
            bad += 1
            print("call %d: no ttft or cost" % (i + 1))
    print("%d calls checked, %d mismatches" % (len(exp), bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
