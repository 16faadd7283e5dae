#!/usr/bin/env python3
"""Send N signed slash commands at once and time each one, as the client
sees it: from sending the request to the complete HTTP response.

usage: slack_load.py BASE SECRET N TEXT RESPONSE_URL_BASE [--timeout S] [--tag T]

Request i carries response_url RESPONSE_URL_BASE/<tag>/<i> (so each answer
can be traced and every signature is distinct). Bodies are signed before
the clock starts; all N threads are released together by a barrier.
Prints one JSON object per request:
  {"i": i, "status": HTTP status or 0, "elapsed": seconds,
   "kind": "inline" | "ack" | "busy" | "other" | "error", "body": first 300 chars}

Kinds: "ack" is the deferred acknowledgement ({"response_type":"in_channel"}
and nothing else), "busy" the refusal for load, "inline" an answer with
blocks. Test tooling; the signature is computed here, independently of the
C code (as slack_sign.py does).
"""
import argparse
import hashlib
import hmac
import http.client
import json
import threading
import time
import urllib.parse


def body_for(text, url):
    q = urllib.parse.quote_plus
    return ("token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example"
            "&channel_id=C2147483705&channel_name=test&user_id=U2147483697&user_name=Steve"
            "&command=%2Finfra-search&text=" + q(text) + "&response_url=" + q(url) +
            "&trigger_id=13345224609.738474920.8088930838d88f008e0&api_app_id=A123456"
            ).encode()


def kind_of(status, body):
    if status != 200:
        return "other"
    if body.strip() == '{"response_type":"in_channel"}':
        return "ack"
    if "busy" in body:
        return "busy"
    if '"blocks"' in body:
        return "inline"
    return "other"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("secret")
    ap.add_argument("n", type=int)
    ap.add_argument("text")
    ap.add_argument("url_base")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--tag", default="load")
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.base)
    ts = str(int(time.time()))
    reqs = []
    for i in range(a.n):
        body = body_for(a.text, "%s/%s/%d" % (a.url_base, a.tag, i))
        sig = "v0=" + hmac.new(a.secret.encode(), b"v0:" + ts.encode() + b":" + body,
                               hashlib.sha256).hexdigest()
        reqs.append((body, sig))
    results = [None] * a.n
    barrier = threading.Barrier(a.n)

    def one(i):
        body, sig = reqs[i]
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=a.timeout)
        barrier.wait()
        t0 = time.monotonic()
        try:
            conn.request("POST", "/slack/infra-search", body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig})
            r = conn.getresponse()
            text = r.read().decode("utf-8", "replace")
            results[i] = {"i": i, "status": r.status, "elapsed": time.monotonic() - t0,
                          "kind": kind_of(r.status, text), "body": text[:300]}
        except Exception as e:  # noqa: BLE001 - a test reports every failure
            results[i] = {"i": i, "status": 0, "elapsed": time.monotonic() - t0,
                          "kind": "error", "body": repr(e)[:300]}
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(a.n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
