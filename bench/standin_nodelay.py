#!/usr/bin/env python3
"""The AWS stand-in with TCP_NODELAY on every accepted connection.

tests/standin/aws_standin.py answers with two writes (headers, then body;
Handler._send) on a socket with Nagle's algorithm on. On a reused keep-alive
connection the body then waits for the client's delayed ACK of the headers:
about 40 ms per call on Linux, which is a property of the stand-in, not of
the code under test. bench/lib.sh uses this wrapper when STANDIN_NODELAY=1.
"""
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "standin"))
import aws_standin  # noqa: E402

_setup = aws_standin.Handler.setup


def _setup_nodelay(self):
    _setup(self)
    self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


aws_standin.Handler.setup = _setup_nodelay

if __name__ == "__main__":
    sys.exit(aws_standin.main())
