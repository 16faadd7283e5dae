#!/usr/bin/env python3
"""Speak FastCGI directly to the worker's socket, bypassing nginx, to test
what nginx would never send (a body shorter than CONTENT_LENGTH, a body
larger than max_body), and kept connections (FCGI_KEEP_CONN).

usage: fcgi_probe.py SOCKET METHOD PATH CONTENT_LENGTH BODY
prints the worker's raw CGI response (headers and body).

usage: fcgi_probe.py keep SOCKET CASE [ARG]
runs one kept-connection case against GET /healthz and prints key=value
words (every wait bounded, never a fixed sleep):
  two        two requests one after another on one connection with
             FCGI_KEEP_CONN: answers=2 status=200,200 open=1 (still open)
  close      one request without FCGI_KEEP_CONN: answers=1 eof=1
  idle S     one kept request, then wait up to S s for the worker to close
             the idle connection: answers=1 eof=1 idle_s=X
  malformed  connections A and B each answered once (kept); A then sends a
             record of FastCGI version 2: a_eof=1; B's second request is
             still answered: b_answers=2
  many N     N connections, one kept request each, all answered, then
             count those the worker keeps open: answers=N open=K
"""
import select
import socket
import struct
import sys
import time


def record(rtype, rid, content):
    return struct.pack("!BBHHBB", 1, rtype, rid, len(content), 0, 0) + content


def pair(k, v):
    k, v = k.encode(), v.encode()
    out = b""
    for x in (k, v):
        out += bytes([len(x)]) if len(x) < 128 else struct.pack("!I", len(x) | 0x80000000)
    return out + k + v


def begin(rid, keep):
    return record(1, rid, struct.pack("!HB5x", 1, 1 if keep else 0))


def get_request(rid, keep, path="/healthz"):
    params = pair("REQUEST_METHOD", "GET") + pair("DOCUMENT_URI", path)
    return (begin(rid, keep) + record(4, rid, params) + record(4, rid, b"") +
            record(5, rid, b""))


def read_answer(s, timeout=10.0):
    """Read records up to END_REQUEST: (status code or None, rid)."""
    buf, out = b"", b""
    end = time.monotonic() + timeout
    while True:
        while len(buf) >= 8:
            _, rtype, rid, clen, plen, _ = struct.unpack("!BBHHBB", buf[:8])
            if len(buf) < 8 + clen + plen:
                break
            if rtype == 6:
                out += buf[8:8 + clen]
            buf = buf[8 + clen + plen:]
            if rtype == 3:
                head = out.split(b"\r\n", 1)[0].decode(errors="replace")
                code = head.split()[1] if head.startswith("Status:") else None
                return code, rid
        left = end - time.monotonic()
        if left <= 0:
            return None, None
        s.settimeout(left)
        d = s.recv(65536)
        if not d:
            return None, None
        buf += d


def is_open(s):
    """True when the peer has not closed s (nothing to read, no EOF)."""
    r, _, _ = select.select([s], [], [], 0.2)
    if not r:
        return True
    s.settimeout(0.2)
    try:
        return s.recv(1, socket.MSG_PEEK) != b""
    except OSError:
        return False


def wait_eof(s, seconds):
    """Wait up to seconds for EOF (or a reset); returns the seconds waited
    or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        r, _, _ = select.select([s], [], [], 0.5)
        if r:
            try:
                if s.recv(4096) == b"":
                    return time.monotonic() - t0
            except OSError:
                return time.monotonic() - t0
    return None


def connect(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    return s


def keep(path, case, arg):
    if case == "two":
        s = connect(path)
        codes = []
        for rid in (1, 2):
            s.sendall(get_request(rid, True))
            codes.append(read_answer(s)[0])
        print("answers=%d status=%s open=%d" % (sum(c is not None for c in codes),
              ",".join(str(c) for c in codes), is_open(s)))
    elif case == "close":
        s = connect(path)
        s.sendall(get_request(1, False))
        code, _ = read_answer(s)
        print("answers=%d eof=%d" % (code is not None, wait_eof(s, 5) is not None))
    elif case == "idle":
        s = connect(path)
        s.sendall(get_request(1, True))
        code, _ = read_answer(s)
        t = wait_eof(s, float(arg))
        print("answers=%d eof=%d idle_s=%s" % (code is not None, t is not None,
              "-" if t is None else "%.1f" % t))
    elif case == "malformed":
        a, b = connect(path), connect(path)
        n = 0
        for s in (a, b):
            s.sendall(get_request(1, True))
            n += read_answer(s)[0] is not None
        a.sendall(struct.pack("!BBHHBB", 2, 1, 1, 8, 0, 0) + b"\0" * 8)
        a_eof = wait_eof(a, 5) is not None
        b.sendall(get_request(2, True))
        n += read_answer(b)[0] is not None
        print("a_eof=%d b_answers=%d" % (a_eof, n - 1))
    elif case == "many":
        conns = [connect(path) for _ in range(int(arg))]
        n = 0
        for i, s in enumerate(conns):
            s.sendall(get_request(1, True))
            n += read_answer(s)[0] is not None
        print("answers=%d open=%d" % (n, sum(is_open(s) for s in conns)))
    else:
        sys.exit("fcgi_probe.py: unknown case " + case)


def main():
    if sys.argv[1] == "keep":
        keep(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "")
        return
    sock, method, path, clen, body = sys.argv[1:6]
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sock)
    params = (pair("REQUEST_METHOD", method) + pair("DOCUMENT_URI", path) +
              pair("CONTENT_LENGTH", clen) +
              pair("CONTENT_TYPE", "application/x-www-form-urlencoded"))
    msg = record(1, 1, struct.pack("!HB5x", 1, 0)) + record(4, 1, params) + record(4, 1, b"")
    data = body.encode()
    for i in range(0, len(data), 65535):
        msg += record(5, 1, data[i:i + 65535])
    msg += record(5, 1, b"")
    s.sendall(msg)
    out = b""
    buf = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    # Collect FCGI_STDOUT (type 6) records.
    while len(buf) >= 8:
        _, rtype, _, clen2, plen, _ = struct.unpack("!BBHHBB", buf[:8])
        if rtype == 6:
            out += buf[8:8 + clen2]
        buf = buf[8 + clen2 + plen:]
    sys.stdout.write(out.decode(errors="replace"))


if __name__ == "__main__":
    main()
