#!/usr/bin/env python3
"""trace_check.py - check a Chrome / Perfetto trace (Trace Event Format JSON)
the way its importers need it: the JSON parses, every complete event ("X")
has numeric ts/dur/pid/tid, slices of one (pid, tid) track nest or are
disjoint (end = ts + dur in doubles, as a JavaScript reader computes it),
every flow start ("s") and end ("f") sits inside a slice of its track and
pairs by id, and every pid with slices is named by a process_name event.

  trace_check.py TRACE.json [--expect REGEX[=MIN]]... [--flows MIN]
                 [--args REGEX=KEY,KEY...]

--expect: at least MIN (default 1) "X" slices whose name matches REGEX.
--args:   every "X" slice whose name matches REGEX has these args, not null.
Prints a summary line; exits 1 with the reasons on failure.
"""
import json
import re
import sys
from collections import defaultdict


def ns(v):
    return float(v)


def main(argv):
    path, expects, args_req, flows_min = None, [], [], 0
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--expect":
            r, _, n = argv[i + 1].rpartition("=") if "=" in argv[i + 1] else (argv[i + 1], "", "1")
            expects.append((re.compile(r), int(n)))
            i += 2
        elif a == "--args":
            r, _, keys = argv[i + 1].rpartition("=")
            args_req.append((re.compile(r), keys.split(",")))
            i += 2
        elif a == "--flows":
            flows_min = int(argv[i + 1])
            i += 2
        else:
            path = a
            i += 1
    errs = []
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    ev = doc["traceEvents"] if isinstance(doc, dict) else doc
    if not isinstance(doc, dict) or "displayTimeUnit" not in doc:
        errs.append("no displayTimeUnit in the top-level object")
    tracks = defaultdict(list)
    named = set()
    for e in ev:
        ph = e.get("ph")
        if ph == "M" and e.get("name") == "process_name":
            named.add(e.get("pid"))
        if ph != "X":
            continue
        for k in ("ts", "dur", "pid", "tid"):
            if not isinstance(e.get(k), (int, float)):
                errs.append("X event without numeric %s: %s" % (k, json.dumps(e)[:200]))
                break
        else:
            if e["dur"] < 0:
                errs.append("negative dur: %s" % json.dumps(e)[:200])
            tracks[(e["pid"], e["tid"])].append((ns(e["ts"]), ns(e["ts"]) + ns(e["dur"]), e["name"]))
    for key, sl in tracks.items():
        if key[0] not in named:
            errs.append("pid %s has slices but no process_name" % key[0])
        # longest first at equal start, as a parent encloses its child
        sl.sort(key=lambda s: (s[0], -s[1]))
        stack = []
        for s in sl:
            while stack and stack[-1][1] <= s[0] and not (stack[-1][0] == stack[-1][1] == s[0]):
                stack.pop()
            if stack and s[1] > stack[-1][1]:
                errs.append("track %s: %r [%r,%r] overlaps %r [%r,%r] without nesting"
                            % (key, s[2], s[0], s[1], stack[-1][2], stack[-1][0], stack[-1][1]))
            stack.append(s)
    # flows: "s" and "f" inside a slice of their own track, paired by id
    ends = defaultdict(dict)
    for e in ev:
        if e.get("ph") not in ("s", "f"):
            continue
        t = ns(e["ts"])
        inside = any(a <= t <= b for a, b, _ in tracks.get((e.get("pid"), e.get("tid")), []))
        if not inside:
            errs.append("flow %s %s at %r is in no slice of track (%s, %s)"
                        % (e["ph"], e.get("id"), t, e.get("pid"), e.get("tid")))
        ends[e.get("id")][e["ph"]] = t
    pairs = 0
    for fid, d in ends.items():
        if set(d) != {"s", "f"}:
            errs.append("flow %s is not a start/end pair" % fid)
        elif d["f"] < d["s"]:
            errs.append("flow %s ends before it starts" % fid)
        else:
            pairs += 1
    if pairs < flows_min:
        errs.append("%d flows, expected at least %d" % (pairs, flows_min))
    names = [s[2] for sl in tracks.values() for s in sl]
    for r, n in expects:
        got = sum(1 for x in names if r.search(x))
        if got < n:
            errs.append("%d slices match %r, expected at least %d" % (got, r.pattern, n))
    for r, keys in args_req:
        for e in ev:
            if e.get("ph") == "X" and r.search(e.get("name", "")):
                miss = [k for k in keys if e.get("args", {}).get(k) is None]
                if miss:
                    errs.append("%r lacks args %s" % (e["name"], miss))
    nx = sum(len(v) for v in tracks.values())
    print("trace_check: %d events, %d slices on %d tracks, %d flows, %d processes"
          % (len(ev), nx, len(tracks), pairs, len(named)))
    for e in errs[:30]:
        print("error:", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
