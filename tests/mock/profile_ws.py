# SPDX-License-Identifier: MIT
"""profile_ws.py - llm_mock.py --profile ws: the OpenAI Responses API over a
WebSocket (GET .../responses with Upgrade: websocket), as Codex uses it;
see ws.py.  Everything else is served as without a profile.

Environment: MOCK_WS_DEFLATE=0 refuses permessage-deflate;
MOCK_WS_NO_CONTEXT=1 answers it with server_no_context_takeover;
MOCK_WS_FRAGMENTS=N sends each event in N frames."""
import os

import ws


def handle(handler, method):
    if method != "GET" or not ws.is_upgrade(handler):
        return False
    conn = ws.accept(handler, deflate=os.environ.get("MOCK_WS_DEFLATE", "1") != "0",
                     no_context=os.environ.get("MOCK_WS_NO_CONTEXT") == "1")
    ws.serve_responses(handler, conn, fragments=int(os.environ.get("MOCK_WS_FRAGMENTS", "1")))
    return True
