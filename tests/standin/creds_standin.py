#!/usr/bin/python3
"""Loopback stand-in for the AWS credential endpoints, for common/aws/creds tests.

  python3 creds_standin.py --port 0 --port-file F [--mode imds|container]
                           [--token T] [--role R] [--lifetime S]

--mode imds       EC2 instance metadata, IMDSv2 only:
                  PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds
                  (1..21600) and answers a session token; every GET needs
                  X-aws-ec2-metadata-token equal to an issued token, else 401
                  (what IMDS does when IMDSv2 is required).
                  GET /latest/meta-data/iam/security-credentials/ -> role name
                  GET /latest/meta-data/iam/security-credentials/<role> -> JSON
--mode container  ECS/EKS agent: GET of any path -> JSON; with --token T the
                  Authorization header must equal T, else 401.

Credentials served: AccessKeyId "ASIAIMDSSTANDIN" or "ASIACONTAINERSTANDIN",
SecretAccessKey "standin-<mode>-secret", Token "standin-<mode>-token",
Expiration now + --lifetime seconds (default 6 h).

Binds 127.0.0.1 only.  The port is written to --port-file (atomically, via
rename) once the socket listens.  Exits on SIGTERM/SIGINT.
GET /_stats (no auth) returns request counts as JSON, for tests.
Python 3 standard library only.
"""

import argparse
import datetime
import json
import os
import secrets
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Real IMDS allows token TTLs of 1 s .. 6 h.
MAX_TTL = 21600
CREDS_PATH = "/latest/meta-data/iam/security-credentials/"


class Handler(BaseHTTPRequestHandler):
    # Headers and body go out in separate writes; without TCP_NODELAY a
    # kept-alive connection waits ~40 ms for the delayed ACK between them.
    disable_nagle_algorithm = True
    server_version = "creds-standin"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: tests read stdout/stderr
        pass

    def _send(self, code, body, ctype="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _count(self, key):
        st = self.server.state
        with st["lock"]:
            st["stats"][key] = st["stats"].get(key, 0) + 1

    def _doc(self):
        st = self.server.state
        mode = st["mode"]
        exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
            seconds=st["lifetime"])
        return json.dumps({
            "Code": "Success",
            "LastUpdated": datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%SZ"),
            "Type": "AWS-HMAC",
            "AccessKeyId": "ASIA%sSTANDIN" % mode.upper(),
            "SecretAccessKey": "standin-%s-secret" % mode,
            "Token": "standin-%s-token" % mode,
            "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        })

    def do_PUT(self):
        st = self.server.state
        if st["mode"] != "imds" or self.path != "/latest/api/token":
            self._count("put_bad")
            return self._send(404, "not found")
        # Real IMDS refuses proxied token requests.
        if self.headers.get("X-Forwarded-For") is not None:
            return self._send(403, "forbidden")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= MAX_TTL:
            self._count("put_bad")
            return self._send(400, "bad ttl")
        tok = secrets.token_urlsafe(32)
        with st["lock"]:
            st["tokens"].add(tok)
        self._count("put_token")
        return self._send(200, tok)

    def do_GET(self):
        st = self.server.state
        if self.path == "/_stats":
            with st["lock"]:
                return self._send(200, json.dumps(st["stats"]), "application/json")
        if st["mode"] == "container":
            return self._container()
        return self._imds()

    def _container(self):
        st = self.server.state
        if st["token"] is not None and self.headers.get("Authorization") != st["token"]:
            self._count("get_unauthorized")
            return self._send(401, json.dumps({"code": "Unauthorized"}), "application/json")
        self._count("get_creds")
        return self._send(200, self._doc(), "application/json")

    def _imds(self):
        st = self.server.state
        tok = self.headers.get("X-aws-ec2-metadata-token")
        with st["lock"]:
            ok = tok is not None and tok in st["tokens"]
        if not ok:
            self._count("get_unauthorized")
            return self._send(401, "")
        if self.path == CREDS_PATH:
            self._count("get_role")
            return self._send(200, st["role"])
        if self.path == CREDS_PATH + st["role"]:
            self._count("get_creds")
            return self._send(200, self._doc(), "application/json")
        return self._send(404, "not found")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--mode", choices=("imds", "container"), default="imds")
    ap.add_argument("--token", default=None)
    ap.add_argument("--role", default="slash-infra-role")
    ap.add_argument("--lifetime", type=int, default=21600)
    args = ap.parse_args()

    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.state = {"mode": args.mode, "token": args.token, "role": args.role,
                 "lifetime": args.lifetime, "tokens": set(), "stats": {},
                 "lock": threading.Lock()}

    def stop(signum, frame):
        # shutdown() blocks until serve_forever returns: run it elsewhere.
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever(poll_interval=0.1)
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
