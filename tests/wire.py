#!/usr/bin/python3
"""wire.py: talk to hycod with Debian's python3-msgpack, speaking the
public msgpack-RPC spec directly, to prove the wire format is the
standard one. Needs $HYCOD and $TOP (set by make check)."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import msgpack

from hytest import Checks

check = Checks("wire")


def call(sock, unpacker, msgid, method, params):
    sock.sendall(msgpack.packb([0, msgid, method, params]))
    return next_msg(sock, unpacker)


def next_msg(sock, unpacker):
    while True:
        for msg in unpacker:
            return msg
        data = sock.recv(65536)
        if not data:
            return None
        unpacker.feed(data)


def main():
    d = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    path = os.path.join(d, "cache", "hycod.sock")
    log = open(os.path.join(d, "log"), "w")
    proc = subprocess.Popen([os.environ["HYCOD"], "-c",
                             os.path.join(os.environ["TOP"], "conf/config.yaml"),
                             "paths.cache_root=" + os.path.join(d, "cache")],
                            stderr=log)
    try:
        for _ in range(200):
            if os.path.exists(path):
                break
            time.sleep(0.02)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(path)
        u = msgpack.Unpacker(raw=False)

        r = call(s, u, 7, "ping", [])
        check(r[0] == 1 and r[1] == 7 and r[2] is None, "ping response %r" % r)
        check(r[3]["pid"] == proc.pid, "ping pid")

        r = call(s, u, 8, "get-cycle-dir", [{"kind": "physical", "cycle": 42,
                                             "dataset": "heat_64"}])
        check(r[2] is None and r[3]["path"].endswith(
            "/physical_preds/cycle_042/heat_64"), "get-cycle-dir %r" % r)
        check(r[3]["created"] is True, "created")
        check(os.path.isdir(r[3]["path"]), "directory exists")

        # Errors are {"code", "message"} maps with a nil result.
        r = call(s, u, 9, "get-cycle-dir", [{"kind": "physical", "cycle": 1,
                                             "dataset": "a\x00b"}])
        check(r[2]["code"] == "invalid_argument" and r[3] is None,
              "NUL in dataset %r" % r)
        r = call(s, u, 10, "nope", [])
        check(r[2]["code"] == "unknown_method", "unknown method")
        r = call(s, u, 11, "summary", {"not": "an array"})
        check(r[2]["code"] == "invalid_argument", "params not an array")

        # A notification gets no reply; the next request's does come.
        s.sendall(msgpack.packb([2, "ping", []]))
        r = call(s, u, 12, "summary", [])
        check(r[1] == 12 and r[2] is None, "reply after notification")
        for key in ("tensors", "generated", "eval", "total", "files",
                    "datasets", "cycles", "disk"):
            check(key in r[3], "summary has " + key)

        # Pipelined: many requests in one write, every reply comes back.
        s.sendall(b"".join(msgpack.packb([0, 100 + i, "ping", []])
                           for i in range(500)))
        ids = [next_msg(s, u)[1] for _ in range(500)]
        check(ids == list(range(100, 600)), "pipelined replies")

        # Bytes that are not a request close the connection.
        s.sendall(msgpack.packb({"hello": 1}))
        check(next_msg(s, u) is None, "non-request closes")
        s.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        check(proc.wait(timeout=10) == 0, "clean exit on SIGTERM")
        check(not os.path.exists(path), "socket removed")
        subprocess.run(["rm", "-rf", d])
    ok = check.summary()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
