#!/usr/bin/env python3
"""Print Slack's request signature for a body, as Slack computes it.

usage: slack_sign.py SECRET TIMESTAMP BODYFILE   -> prints v0=<hex>

Test tooling only: the service itself verifies with OpenSSL in C. Kept
independent of the C code on purpose, so a bug in one cannot hide in both.
"""
import hashlib
import hmac
import sys


def main():
    secret, ts, path = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(path, "rb") as f:
        body = f.read()
    base = b"v0:" + ts.encode() + b":" + body
    print("v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest())


if __name__ == "__main__":
    main()
