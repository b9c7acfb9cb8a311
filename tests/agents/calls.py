# SPDX-License-Identifier: MIT
"""calls.py - what the t_agent_*.sh tests check of every call: the mock's
log (served.jsonl) against `asanalyze conversations --json`, field by
field.  Each test adds the checks proper to its agent after compare().

    sys.path.insert(0, AGENTS_DIR); from calls import compare
    exp, act, bad = compare(served, calls, provider="gemini", ids=False)
"""
import json

FIELDS = ("purpose", "model", "stream", "status", "text", "thinking", "finish_reason")
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens")


def compare(served, calls, provider=None, fields=FIELDS, tokens=TOKENS, ids=True, fixed=None):
    """(served calls, found calls, problems).  fixed: field -> the value every
    call must have, for what the mock's log does not record."""
    exp = [json.loads(l) for l in open(served) if '"api"' in l]
    act = [json.loads(l) for l in open(calls) if l.strip()]
    fixed = fixed or {}
    bad = []
    if len(exp) != len(act):
        bad.append("%d calls served, %d found" % (len(exp), len(act)))
    for i, (e, a) in enumerate(zip(exp, act)):
        def want(field, x, y):
            if x != y:
                bad.append("call %d: %s: expected %r, got %r" % (i + 1, field, x, y))
        if provider:
            want("provider", provider, a["provider"])
        for f in fields:
            want(f, fixed[f] if f in fixed else e[f], a[f])
        for k in tokens:
            want(k, e[k], a[k])
        key = (lambda t: (t["id"], t["name"])) if ids else (lambda t: (t["name"],))
        want("tool calls", [key(t) + (t["args"],) for t in e["tool_calls"]],
             [key(t) + (json.loads(t["arguments"]),) for t in a["tool_calls"]])
        want("analysis_error", None, a["analysis_error"])
        if a["t_first_token_ns"] is None or not a["duration_s"]:
            bad.append("call %d: no time to first token or duration" % (i + 1))
    return exp, act, bad
