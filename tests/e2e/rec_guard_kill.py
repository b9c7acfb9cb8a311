#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""rec_guard_kill.py ASRECORD OUT PROGRAM [ARGS...] - start asrecord on
PROGRAM, wait until the kernel side has stopped the program (state T) for
probe attachment, SIGKILL asrecord then, and check that the program is
continued anyway (by asrecord's guardian process) and runs to its end.
Prints what it saw; exit 0 when the program was seen stopped and then
finished, 1 when it stayed stopped, 2 when it was never seen stopped."""
import os, signal, subprocess, sys, time


def state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


rec = subprocess.Popen([sys.argv[1], "-q", "-w", sys.argv[2], "--"] + sys.argv[3:])
deadline = time.time() + 20
child = None
while time.time() < deadline and child is None:
    for c in children(rec.pid):
        if state(c) == "T":
            child = c
    time.sleep(0.0005)
if child is None:
    rec.kill()
    rec.wait()
    print("the program was never seen stopped")
    sys.exit(2)
rec.kill()
rec.wait()
end = time.time() + 10
while time.time() < end and state(child) == "T":
    time.sleep(0.05)
st = state(child)
print("program %d stopped; after SIGKILL of asrecord its state is %s" % (child, st))
sys.exit(1 if st == "T" else 0)
