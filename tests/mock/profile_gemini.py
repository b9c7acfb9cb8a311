# SPDX-License-Identifier: MIT
"""profile_gemini.py - what Google's Gemini CLI (@google/gemini-cli) needs
from the mock (llm_mock.py --profile gemini).

The CLI talks to GOOGLE_GEMINI_BASE_URL with the @google/genai SDK:
  POST /v1beta/models/M:streamGenerateContent?alt=sse   a conversation turn
  POST /v1beta/models/M:generateContent                 a side call: the model
       router's complexity classifier, the next-speaker check, loop
       detection, ...; these ask for JSON (generationConfig.responseMimeType
       application/json with a responseJsonSchema) and get an object that
       fits the schema
  POST /v1beta/models/M:countTokens                     {"totalTokens": N}
  GET  /v1beta/models                                   a model list
Anything else is logged to the served log as {"unhandled": ...} and gets 404.

The scripted session: the user prompt gets a thought and a functionCall of
the CLI's shell tool, run_shell_command, with a command that writes
$MOCK_GEMINI_DIR/gemini-out.txt and lists the directory; the request that
carries its functionResponse gets the final text.  Every request's path,
model and purpose is logged ("purpose": "turn" or "side-call").

MOCK_GEMINI_HOLD=FILE holds the answer to the first generateContent request
(of either kind) until FILE exists (60 s at most), after logging
{"holding": FILE}: a test attaches asrecord -p meanwhile.
"""
import json
import os
import threading
import time

DIR = os.environ.get("MOCK_GEMINI_DIR", "/tmp/asight-gemini")
COMMAND = "echo hi > %s/gemini-out.txt; ls %s" % (DIR, DIR)
THOUGHT = "The user wants a file written; I will use the shell."
FINAL = "Done: gemini-out.txt now holds hi."
HOLD = os.environ.get("MOCK_GEMINI_HOLD")
_held = threading.Event()

# values for the side calls' JSON schemas, by property name
SIDE_VALUES = {
    "complexity_score": 10,
    "complexity_reasoning": "Simple shell command.",
    "next_speaker": "user",
    "reasoning": "The model answered; the user speaks next.",
    "model_choice": "flash",
}


def fill(schema, name=""):
    """An object that fits a (Gemini OpenAPI-style) JSON schema."""
    if not isinstance(schema, dict):
        return "mock"
    if name in SIDE_VALUES:
        return SIDE_VALUES[name]
    if schema.get("enum"):
        return schema["enum"][0]
    t = str(schema.get("type", "object")).lower()
    if t == "object":
        props = schema.get("properties") or {}
        return {k: fill(v, k) for k, v in props.items()}
    if t == "array":
        return [fill(schema.get("items"), name)]
    if t in ("integer", "number"):
        return 1
    if t == "boolean":
        return False
    return "mock"


def json_side_call(req):
    g = req.get("generationConfig") or {}
    schema = g.get("responseJsonSchema") or g.get("responseSchema")
    if schema is None and g.get("responseMimeType") != "application/json":
        return None
    return json.dumps(fill(schema or {"type": "object"}))


def send(h, status, obj):
    body = json.dumps(obj).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def handle(h, method):
    path = h.path.split("?")[0]
    if method == "GET" and path.rstrip("/").endswith("/models"):
        h.server.log({"profile": "gemini", "served": "models", "path": h.path})
        send(h, 200, {"models": [{"name": "models/gemini-2.5-flash",
                                  "supportedGenerationMethods": ["generateContent"]}]})
        return True
    if method == "POST" and ":countTokens" in path:
        n = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(n)
        h.server.log({"profile": "gemini", "served": "countTokens", "path": h.path})
        send(h, 200, {"totalTokens": max(1, len(body) // 4)})
        return True
    if method == "POST" and "generatecontent" not in path.lower():
        n = int(h.headers.get("Content-Length") or 0)
        h.rfile.read(n)
        h.server.log({"unhandled": method, "path": h.path})
        send(h, 404, {"error": {"code": 404, "message": "not in the mock",
                                "status": "NOT_FOUND"}})
        return True
    if method == "GET" and path != "/quit":
        h.server.log({"unhandled": method, "path": h.path})
    return False


def adjust(t, req, h):
    if HOLD and not _held.is_set():
        _held.set()
        # a test waits for this line, attaches asrecord -p, then creates HOLD
        h.server.log({"profile": "gemini", "holding": HOLD, "path": h.path})
        for _ in range(600):
            if os.path.exists(HOLD):
                break
            time.sleep(0.1)
    side = json_side_call(req)
    if side is not None:
        t.tool = False
        t.text = side
        t.thinking = ""
        t.purpose = "side-call"
        return
    t.purpose = "turn"
    if t.tool:
        t.name = "run_shell_command"
        t.args = {"command": COMMAND}
        t.text = "I will write the file."
        t.thinking = THOUGHT
    else:
        t.text = FINAL
