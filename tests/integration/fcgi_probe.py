#!/usr/bin/env python3
"""Speak FastCGI directly to the worker's socket, bypassing nginx, to test
what nginx would never send (a body shorter than CONTENT_LENGTH, a body
larger than max_body).

usage: fcgi_probe.py SOCKET METHOD PATH CONTENT_LENGTH BODY
prints the worker's raw CGI response (headers and body).
"""
import socket
import struct
import sys


def record(rtype, rid, content):
    return struct.pack("!BBHHBB", 1, rtype, rid, len(content), 0, 0) + content


def pair(k, v):
    k, v = k.encode(), v.encode()
    out = b""
    for x in (k, v):
        out += bytes([len(x)]) if len(x) < 128 else struct.pack("!I", len(x) | 0x80000000)
    return out + k + v


def main():
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
