#!/usr/bin/python3
"""Local stand-in for Slack's response_url endpoint (tests and local demo).

Accepts POSTs of JSON messages at any path (e.g. /hooks/T1/B1/xyz), records
them in memory and lets tests inspect them.  Loopback only, stdlib only.

  GET  /_messages            -> {"messages": [{"path", "body", "raw", "time", "status"}],
                                 "counts": {path: n}, "attempts": {path: n},
                                 "rejected": [{"path", "status", "error", "text_chars",
                                               "time"}]}
                                (messages and counts: accepted ones only; attempts: every
                                POST; rejected: the ones refused as Slack refuses them)
  GET  /_messages?path=/p    -> same, for one path
  POST /_control             JSON {"fail_next": N, "status": 500} or {"always_fail": true}
                             or {"always_fail": false}; with "path": P and "after": K,
                             fail_next applies to P only, once K messages were accepted
                             there (so a test can fail a final answer, not its notice,
                             without racing the worker). Failures answer "internal_error".
                             Refusals as Slack words them (a 4xx with Slack's error text):
                             {"reject_blocks_over": N} refuses every message whose blocks
                             hold more than N characters of text (every string value
                             inside "blocks", counted in UTF-16 units, URLs included;
                             Slack's own limit is ~12000-13300, see
                             tests/data/shared/slack/LIMITS.md) with HTTP 400
                             msg_blocks_too_long; 0 or null turns it off.
                             {"reject_next": K, "path": P, "after": A} refuses the next K
                             POSTs to P once A messages were accepted there.
                             Both take "status" (default 400), "error" (default
                             "msg_blocks_too_long") and "error_format": "json" (default:
                             {"ok":false,"error":"..."}, application/json) or "text"
                             (the bare code, text/plain, as response_url often answers).
  POST /_reset               forget messages, failure and refusal settings
"""

import argparse
import json
import os
import sys
import threading
import time
from collections import Counter
from urllib.parse import parse_qs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aws_standin import (LOOPBACK_HOSTS,  # noqa: E402
                         announce, make_server, serve_until_signal)
from http.server import BaseHTTPRequestHandler  # noqa: E402

# Slack's response_url accepts messages well below this; the cap bounds memory.
MAX_BODY_BYTES = 1 << 20
# Bound the number of stored messages so a long benchmark cannot exhaust memory.
MAX_MESSAGES = 100000


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.messages = []
        self.counts = Counter()
        self.attempts = Counter()
        self.fail_next = 0
        self.fail_status = 500
        self.always_fail = False
        self.fail_rules = []  # [path, after, n]: fail n POSTs to path once after accepted
        self.rejected = []
        # {"over", "status", "error", "format"} or None: refuse long messages
        self.reject_size = None
        self.reject_rules = []  # [path, after, n, refusal]: refuse n POSTs to path


def _refusal(doc):
    """The refusal a control document asks for: status, error code, format."""
    fmt = str(doc.get("error_format", "json"))
    if fmt not in ("json", "text"):
        raise ValueError("error_format must be json or text")
    return {"status": int(doc.get("status", 400)),
            "error": str(doc.get("error", "msg_blocks_too_long")), "format": fmt}


def _block_text_chars(body):
    """Characters of text in a message's blocks, as Slack's budget counts
    them: every string value inside "blocks", in UTF-16 code units."""
    if not isinstance(body, dict):
        return 0
    total = 0
    stack = [body.get("blocks")]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            total += len(v.encode("utf-16-le")) // 2
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return total


class ReceiverHandler(BaseHTTPRequestHandler):
    # Headers and body go out in separate writes; without TCP_NODELAY a
    # kept-alive connection waits ~40 ms for the delayed ACK between them.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "SlackReceiverStandin"

    def log_message(self, fmt, *args):
        pass

    def _refuse(self, refusal):
        if refusal["format"] == "text":
            self._send(refusal["status"], refusal["error"].encode(), ctype="text/plain")
        else:
            self._send(refusal["status"], {"ok": False, "error": refusal["error"]})

    def _send(self, status, obj, ctype="application/json"):
        body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            n = -1
        if n < 0 or n > MAX_BODY_BYTES:
            return None
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        st = self.server.state
        path, _, query = self.path.partition("?")
        if path != "/_messages":
            self._send(404, {"error": "not found"})
            return
        want = parse_qs(query).get("path", [None])[0]
        with st.lock:
            msgs = [m for m in st.messages if want is None or m["path"] == want]
            counts = dict(st.counts) if want is None else {want: st.counts.get(want, 0)}
            attempts = dict(st.attempts)
            rejected = [r for r in st.rejected if want is None or r["path"] == want]
        self._send(200, {"messages": msgs, "counts": counts, "attempts": attempts,
                         "rejected": rejected})

    def do_POST(self):
        st = self.server.state
        path = self.path.partition("?")[0]
        raw = self._body()
        if raw is None:
            self.close_connection = True
            self._send(413, {"error": "body too large"})
            return
        if path in ("/_control", "/_reset"):
            try:
                doc = json.loads(raw) if raw.strip() else {}
                refusal = _refusal(doc)
            except (ValueError, TypeError):
                self._send(400, {"error": "bad json"})
                return
            with st.lock:
                if path == "/_reset":
                    st.reset()
                else:
                    if "reject_blocks_over" in doc:
                        over = doc["reject_blocks_over"]
                        st.reject_size = dict(refusal, over=int(over)) if over else None
                    if "reject_next" in doc:
                        st.reject_rules.append([str(doc.get("path", "")),
                                                int(doc.get("after", 0)),
                                                int(doc["reject_next"]), refusal])
                    if "fail_next" in doc and "path" in doc:
                        st.fail_rules.append([str(doc["path"]), int(doc.get("after", 0)),
                                              int(doc["fail_next"])])
                    elif "fail_next" in doc:
                        st.fail_next = int(doc["fail_next"])
                    if "always_fail" in doc:
                        st.always_fail = bool(doc["always_fail"])
                    # A refusal's status is its own, not the failures'.
                    if "status" in doc and not ("reject_next" in doc or
                                                "reject_blocks_over" in doc):
                        st.fail_status = int(doc["status"])
            self._send(200, {"ok": True})
            return
        with st.lock:
            st.attempts[path] += 1
            fail = st.always_fail or st.fail_next > 0
            if st.fail_next > 0:
                st.fail_next -= 1
            for rule in st.fail_rules:
                if not fail and rule[0] == path and st.counts[path] >= rule[1] and rule[2] > 0:
                    rule[2] -= 1
                    fail = True
            status = st.fail_status if fail else 200
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = None
            chars = _block_text_chars(body)
            refusal = None
            if not fail:
                refusal = self._refusal_for(st, path, chars)
            if refusal is not None:
                status = refusal["status"]
                if len(st.rejected) < MAX_MESSAGES:
                    st.rejected.append({"path": path, "status": status,
                                        "error": refusal["error"], "text_chars": chars,
                                        "time": time.time()})
            elif not fail:
                if len(st.messages) < MAX_MESSAGES:
                    st.messages.append({"path": path, "body": body,
                                        "raw": raw.decode("utf-8", "replace"),
                                        "content_type": self.headers.get("Content-Type"),
                                        "time": time.time()})
                st.counts[path] += 1
        sys.stderr.write("slack-receiver: POST %s bytes=%d status=%d\n" % (path, len(raw), status))
        sys.stderr.flush()
        if refusal is not None:
            self._refuse(refusal)
        elif fail:
            self._send(status, b"internal_error", ctype="text/plain")
        else:
            # Slack answers a successful response_url POST with a plain "ok".
            self._send(200, b"ok", ctype="text/plain")


    @staticmethod
    def _refusal_for(st, path, chars):
        """The refusal due for this POST (st.lock held), or None: a
        reject_next rule for the path first (it is counted), then the size
        rule."""
        for rule in st.reject_rules:
            if rule[0] == path and st.counts[path] >= rule[1] and rule[2] > 0:
                rule[2] -= 1
                return rule[3]
        if st.reject_size is not None and chars > st.reject_size["over"]:
            return st.reject_size
        return None


def main(argv=None):
    p = argparse.ArgumentParser(description="local Slack response_url receiver")
    p.add_argument("--host", default="127.0.0.1", help="127.0.0.1 or ::1 only")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    args = p.parse_args(argv)
    if args.host not in LOOPBACK_HOSTS:
        sys.stderr.write("slack-receiver: refusing non-loopback bind address %r\n" % args.host)
        return 2
    server = make_server(args.host, args.port, ReceiverHandler)
    server.state = State()
    announce(server, args.port_file)
    serve_until_signal(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
