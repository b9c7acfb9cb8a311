#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_otlp.py - check the span tree of an OTLP/JSON export against the
LLM calls asanalyze found (conversations --json) and what the mock served.

  check_otlp.py OTLP.json CALLS.jsonl SERVED.jsonl (--content|--no-content)
                [--nested N] [--secret S]...

Checks: one trace per agent process (resourceSpans entry, one traceId, one
invoke_agent root); a chat span per call under it with the GenAI
attributes equal to the call's fields and the served values; its tool
calls as execute_tool children (N calls, with --nested, made by a sub-agent
process: under the exec span of that process, in its parent's trace); the
tool's command run by `exec` spans
beneath the tool span, with the listing's file read as an event; content
events only with --content; no secret anywhere.
"""
import json, sys

PROVIDER = {"anthropic": "anthropic", "openai": "openai", "openai-compatible": "openai",
            "gemini": "gcp.gemini"}
CMD = "ls -la /tmp/asight-mock"
DETAILS = "gen_ai.client.inference.operation.details"


def val(v):
    for k, x in v.items():
        if k == "intValue":
            return int(x)
        if k == "arrayValue":
            return [val(e) for e in x.get("values", [])]
        return x
    return None


def attrs(o):
    return {a["key"]: val(a["value"]) for a in o.get("attributes", [])}


def fail(msg):
    print("check_otlp: " + msg)
    sys.exit(1)


def expect(cond, msg):
    if not cond:
        fail(msg)


def main():
    args = sys.argv[1:]
    path, calls_path, served_path, mode = args[:4]
    secrets = [args[i + 1] for i in range(4, len(args) - 1) if args[i] == "--secret"]
    nested = sum(int(args[i + 1]) for i in range(4, len(args) - 1) if args[i] == "--nested")
    raw = open(path).read()
    for s in secrets:
        expect(s not in raw, "secret %r found in the export" % s)
    doc = json.loads(raw)
    calls = [json.loads(l) for l in open(calls_path) if l.strip()]
    served = [json.loads(l) for l in open(served_path) if l.strip()]
    expect(len(calls) == len(served), "%d calls, %d served" % (len(calls), len(served)))
    spans, traces = {}, {}
    for rs in doc["resourceSpans"]:
        res = attrs(rs["resource"])
        ss = [s for sc in rs["scopeSpans"] for s in sc["spans"]]
        tids = {s["traceId"] for s in ss}
        expect(len(tids) == 1, "a resourceSpans entry holds %d traces" % len(tids))
        tid = tids.pop()
        expect(tid not in traces, "trace %s in two entries" % tid)
        roots = [s for s in ss if not s.get("parentSpanId")]
        expect(len(roots) == 1 and roots[0]["name"].startswith("invoke_agent "),
               "trace %s: roots %s" % (tid, [r["name"] for r in roots]))
        traces[tid] = (res, roots[0])
        for s in ss:
            s["a"] = attrs(s)
            spans[s["spanId"]] = s
    n_nested = 0
    sub_pids = set()
    kids = {}
    for s in spans.values():
        kids.setdefault(s.get("parentSpanId"), []).append(s)
    n_tool = n_exec = 0
    for c, sv in zip(calls, served):
        chat = [s for s in spans.values() if s["a"].get("gen_ai.response.id") == c["response_id"]]
        expect(len(chat) == 1, "call %s: %d chat spans" % (c["call_id"], len(chat)))
        s, a = chat[0], chat[0]["a"]
        res, root = traces[s["traceId"]]
        if res["process.pid"] == c["pid"]:
            expect(s["parentSpanId"] == root["spanId"], "call %s not under its session" % c["call_id"])
        else:
            up = spans.get(s["parentSpanId"])
            expect(up and up["name"].startswith("exec ") and up["a"]["process.pid"] == c["pid"],
                   "sub-agent call %s not under the exec span of its process" % c["call_id"])
            n_nested += 1
            sub_pids.add(c["pid"])
        want = {"gen_ai.operation.name": "chat",
                "gen_ai.system": PROVIDER[c["provider"]],
                "gen_ai.provider.name": PROVIDER[c["provider"]],
                "gen_ai.request.model": c["model_requested"],
                "gen_ai.response.model": c["model"],
                "gen_ai.usage.input_tokens": sum(c[k] or 0 for k in
                    ("input_tokens", "cache_read_tokens", "cache_write_tokens")),
                "gen_ai.usage.output_tokens": sv["output_tokens"],
                "gen_ai.response.finish_reasons": [sv["finish_reason"]],
                "server.address": c["host"].rsplit(":", 1)[0],
                "server.port": int(c["host"].rsplit(":", 1)[1]),
                "http.response.status_code": sv["status"],
                "process.pid": c["pid"]}
        for k, v in want.items():
            expect(a.get(k) == v, "call %s: %s = %r, want %r" % (c["call_id"], k, a.get(k), v))
        expect(s["name"] == "chat " + c["model_requested"] and s["kind"] == 3,
               "call %s: span %r kind %r" % (c["call_id"], s["name"], s["kind"]))
        expect(int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"]) ==
               c["t_end_ns"] - c["t_request_ns"], "call %s: span length" % c["call_id"])
        expect(a.get("gen_ai.usage.output_tokens") == c["output_tokens"], "output tokens")
        evs = [e["name"] for e in s.get("events", [])]
        if mode == "--content":
            ev = [e for e in s.get("events", []) if e["name"] == DETAILS]
            expect(len(ev) == 1, "call %s: no %s event" % (c["call_id"], DETAILS))
            ea = attrs(ev[0])
            ins = json.loads(ea["gen_ai.input.messages"])
            expect([m["parts"][0]["content"] for m in ins] == [m["text"] for m in c["messages"]],
                   "call %s: input messages" % c["call_id"])
            outm = json.loads(ea["gen_ai.output.messages"])[0]
            texts = [p["content"] for p in outm["parts"] if p["type"] == "text"]
            expect(texts == ([sv["text"]] if sv["text"] else []), "call %s: output text" % c["call_id"])
            tcs = [(p.get("id") or None, p["name"], p["arguments"]) for p in outm["parts"]
                   if p["type"] == "tool_call"]
            expect(tcs == [(t.get("id"), t["name"], t["args"]) for t in sv["tool_calls"]],
                   "call %s: output tool calls %r" % (c["call_id"], tcs))
            expect(outm.get("finish_reason") == sv["finish_reason"], "finish_reason in output")
        else:
            expect(DETAILS not in evs, "call %s: content without --otlp-content" % c["call_id"])
        tools = [k for k in kids.get(s["spanId"], []) if k["name"].startswith("execute_tool ")]
        expect([(t["a"]["gen_ai.tool.name"], t["a"].get("gen_ai.tool.call.id")) for t in tools] ==
               [(t["name"], t.get("id")) for t in sv["tool_calls"]],
               "call %s: tool spans %r" % (c["call_id"], [t["name"] for t in tools]))
        for t in tools:
            n_tool += 1
            expect(t["name"] == "execute_tool " + t["a"]["gen_ai.tool.name"], "tool span name")
            expect(("gen_ai.tool.call.arguments" in t["a"]) == (mode == "--content"),
                   "tool arguments only with --content")
            sh = [k for k in kids.get(t["spanId"], []) if k["name"].startswith("exec ") and
                  CMD in k["a"].get("process.command_line", "")]
            expect(sh, "call %s: no exec span of %r under the tool span" % (c["call_id"], CMD))
            sub = [k for x in sh for k in kids.get(x["spanId"], [])] + sh
            ls = [k for k in sub if k["name"] == "exec ls" and k["a"].get("process.exit.code") == 0]
            expect(ls, "call %s: no 'exec ls' span beneath the tool" % c["call_id"])
            ev = [e for e in ls[0].get("events", []) if e["name"] == "asight.file_read" and
                  attrs(e).get("file.path") == "/tmp/asight-mock"]
            expect(ev, "call %s: ls did not read /tmp/asight-mock" % c["call_id"])
            ev = [e for e in t.get("events", []) if e["name"] == "asight.file_write" and
                  attrs(e).get("file.path") == "/tmp/asight-mock/ls.out"]
            expect(ev, "call %s: the agent's write of ls.out is not on the tool span" % c["call_id"])
            n_exec += len(sub)
    expect(n_tool == sum(len(s["tool_calls"]) for s in served), "tool span count")
    expect(n_nested == nested, "%d sub-agent calls, want %d" % (n_nested, nested))
    # one process, one exec span: a sub-agent's commands sit under its own
    # tool spans only, not again under its parent's last tool call
    seen = {}
    for s in spans.values():
        if s["name"].startswith("exec "):
            key = (s["a"].get("process.pid"), s["startTimeUnixNano"])
            expect(key not in seen, "process %s has two exec spans (%s and %s)" %
                   (key[0], seen.get(key), s["spanId"]))
            seen[key] = s["spanId"]
    pids = sorted({c["pid"] for c in calls} - sub_pids)
    expect(sorted(r["process.pid"] for r, _ in traces.values()) == pids,
           "traces for pids %s, want %s" % ([r["process.pid"] for r, _ in traces.values()], pids))
    print("check_otlp: %d traces, %d spans, %d chat (%d by a sub-agent), %d tool, "
          "%d exec spans beneath tools: ok" % (len(traces), len(spans), len(calls), n_nested,
                                                n_tool, n_exec))


main()
