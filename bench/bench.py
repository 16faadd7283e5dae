#!/usr/bin/env python3
"""Helpers for the bench/ scripts (Python 3 standard library only, loopback only).

  bench.py ini A R OUT [--external-id X]     ini with the first A accounts x R regions of a
                                             stand-in --generate-org organisation
  bench.py instance A R I [--seed N]         an instance id of account 0, region 0 of that org
  bench.py post URL SECRET TEXT RESP_URL RECV_URL [--timeout S]
                                             one signed slash command; prints
                                             "inline|deferred|busy|error SECONDS HTTP_STATUS"
                                             (SECONDS: POST start -> final message)
  bench.py sign-pool SECRET N TEXT RESP_URL OUT [--ts T]
                                             N distinct signed bodies for wrk (see ack.lua)
  bench.py cpu PID                           utime+stime of PID in seconds (from /proc)
  bench.py hwm PID                           VmHWM of PID in KiB (from /proc)
  bench.py median X...                       median of the numbers
  bench.py run-rss CMD...                    run CMD; prints "SECONDS MAXRSS_KIB EXIT" on stderr
  bench.py text FILE                         the Slack message in FILE (its first JSON
                                             document) as text, one block per line

The signature is computed here, independently of the C code, as Slack does:
v0=HMAC-SHA256(secret, "v0:" + timestamp + ":" + body).
"""
import hashlib
import hmac
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
# Polling the receiver: every 10 ms, so the measured time is the receiver's
# own timestamp, not the poll's.
POLL_S = 0.01


def standin():
    sys.path.insert(0, os.path.join(SRC, "tests", "standin"))
    import aws_standin  # noqa: E402
    return aws_standin


def slack_body(text, response_url, trigger):
    """A slash-command body like Slack's; trigger makes every body distinct."""
    q = urllib.parse.quote_plus
    return ("token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example"
            "&channel_id=C2147483705&channel_name=test&user_id=U2147483697&user_name=Steve"
            "&command=%2Finfra-search&text=" + q(text) + "&response_url=" + q(response_url) +
            "&trigger_id=" + q(trigger) + "&api_app_id=A123456")


def sign(secret, ts, body):
    base = b"v0:" + str(ts).encode() + b":" + body
    return "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()


def cmd_ini(args):
    a, r, out = int(args[0]), int(args[1]), args[2]
    ext = None
    if len(args) > 4 and args[3] == "--external-id":
        ext = args[4]
    names = standin()._REGION_NAMES
    if r > len(names):
        sys.exit("bench.py: at most %d regions" % len(names))
    with open(out, "w") as f:
        for i in range(a):
            f.write("[account a%03d]\n" % i)
            f.write("role_arn = arn:aws:iam::%012d:role/InfraSearchReadOnly\n" % (400000000000 + i))
            regions = ",".join(names[:r])
            if len(regions) > 150:
                # The config's line limit: the rest on indented
                # continuation lines (8 regions a line).
                regions = "\n  ".join(",".join(names[k:min(k + 8, r)])
                                       for k in range(0, r, 8))
            f.write("regions = %s\n" % regions)
            if ext:
                f.write("external_id = %s\n" % ext)
    return 0


def cmd_instance(args):
    a, r, i = int(args[0]), int(args[1]), int(args[2])
    seed = int(args[4]) if len(args) > 4 and args[3] == "--seed" else 1
    m = standin()
    accts = m.generate_org(a, r, i, seed=seed)
    region = m._REGION_NAMES[0]
    print(accts[0]["regions"][region]["instances"][0]["id"])
    return 0


def recv_messages(recv_url, path):
    u = recv_url + "/_messages?path=" + urllib.parse.quote(path)
    with urllib.request.urlopen(u, timeout=5) as r:
        return json.load(r)["messages"]


def cmd_post(args):
    url, secret, text, resp_url, recv_url = args[:5]
    timeout = float(args[6]) if len(args) > 6 and args[5] == "--timeout" else 120.0
    if resp_url.endswith("/"):
        # A path of its own per search, so earlier messages never count.
        resp_url += "%d-%d" % (os.getpid(), time.time_ns())
    path = urllib.parse.urlsplit(resp_url).path
    body = slack_body(text, resp_url, "bench.%d.%d" % (os.getpid(), time.time_ns())).encode()
    ts = int(time.time())
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(secret.encode(), ts, body)})
    t0 = time.time()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, data = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, data = e.code, e.read()
    except OSError as e:
        print("error %.6f 0 %s" % (time.time() - t0, e))
        return 1
    t1 = time.time()
    if status != 200:
        print("error %.6f %d" % (t1 - t0, status))
        return 1
    if b"busy with other searches" in data:
        print("busy %.6f %d" % (t1 - t0, status))
        return 1
    if b'"blocks"' in data or b'"text"' in data:
        print("inline %.6f %d" % (t1 - t0, status))
        return 0
    # Acknowledged: the notice and then the final answer go to response_url.
    end = time.time() + timeout
    while time.time() < end:
        for m in recv_messages(recv_url, path):
            if "Searching" not in m.get("raw", ""):
                print("deferred %.6f %d" % (m["time"] - t0, status))
                return 0
        time.sleep(POLL_S)
    print("error %.6f %d no-final-message" % (time.time() - t0, status))
    return 1


def cmd_sign_pool(args):
    """One line per request: TIMESTAMP SIGNATURE BODY (bodies have no spaces
    or newlines: they are form-encoded)."""
    secret, n, text, resp_url, out = args[0].encode(), int(args[1]), args[2], args[3], args[4]
    ts = int(args[6]) if len(args) > 6 and args[5] == "--ts" else int(time.time())
    tss = str(ts).encode()
    prefix = slack_body(text, resp_url, "X").encode()
    head, tail = prefix.split(b"trigger_id=X")
    head += b"trigger_id=bench."
    key = hmac.new(secret, b"v0:" + tss + b":", hashlib.sha256)
    with open(out, "wb", buffering=1 << 20) as f:
        for i in range(n):
            body = head + str(i).encode() + tail
            h = key.copy()
            h.update(body)
            f.write(tss + b" v0=" + h.hexdigest().encode() + b" " + body + b"\n")
    return 0


def proc_cpu(pid):
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def cmd_cpu(args):
    print("%.2f" % proc_cpu(args[0]))
    return 0


def cmd_hwm(args):
    with open("/proc/%s/status" % args[0]) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                print(line.split()[1])
                return 0
    return 1


def cmd_median(args):
    xs = [float(x) for x in args if x not in ("", "-")]
    print("%.6f" % statistics.median(xs) if xs else "-")
    return 0


def cmd_run_rss(args):
    t0 = time.time()
    rc = subprocess.call(args, stdout=subprocess.DEVNULL)
    dt = time.time() - t0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stderr.write("%.6f %d %d\n" % (dt, rss, rc))
    return 0


def cmd_text(args):
    """A message as a reader scans it: "[section] first line", its other
    lines indented, fields as "field: label | value", context elements and
    buttons ("[Show all 600 -> si_show_all=ID]")."""
    raw = open(args[0], encoding="utf-8").read()
    msg, _ = json.JSONDecoder().raw_decode(raw.lstrip())
    for b in msg.get("blocks", []):
        kind = b.get("type")
        if kind == "section":
            lines = (b.get("text") or {}).get("text", "").split("\n")
            print("[section] " + lines[0])
            for line in lines[1:]:
                print("          " + line)
            for f in b.get("fields", []):
                print("   field: " + f.get("text", "").replace("\n", " | "))
        elif kind == "context":
            for e in b.get("elements", []):
                print("[context] " + e.get("text", ""))
        elif kind == "actions":
            print("[actions] " + " ".join("[%s -> %s=%s]" % (e["text"]["text"], e["action_id"],
                                                            e.get("value", ""))
                                          for e in b.get("elements", [])))
        else:
            print("[%s]" % kind)
    return 0


def main():
    cmds = {"ini": cmd_ini, "instance": cmd_instance, "post": cmd_post,
            "sign-pool": cmd_sign_pool, "cpu": cmd_cpu, "hwm": cmd_hwm,
            "median": cmd_median, "run-rss": cmd_run_rss, "text": cmd_text}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    return cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
