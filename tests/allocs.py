#!/usr/bin/python3
"""allocs.py: no allocation per request once warm.

hycod runs with tests/alloc_count.c preloaded, which counts every
malloc, calloc and realloc of the process (libuv's and msgpack-c's
included) into a file mapped here. For ping, summary, get-cycle-dir of
a directory that is there, disk-check and stats: a first round of
requests warms the buffers, then N more, pipelined on one connection,
must cost fewer than N / 100 allocations: what the timers do meanwhile
(the policy pass get-cycle-dir asks for, at most every 20 ms) may
allocate, a request may not. The figures are printed.
Needs $HYCOD, $TOP and $ALLOC_COUNT (the preload library); skipped
under the sanitizers, whose allocator must come first."""
import mmap
import os
import socket
import struct
import sys
import tempfile

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hytest import Checks, write  # noqa: E402
from removal import Hycod  # noqa: E402

check = Checks("allocs")
N = 4000
BATCH = 100


class Counter:
    def __init__(self, path):
        with open(path, "wb") as f:
            f.write(b"\0" * 24)
        self.f = open(path, "r+b")
        self.m = mmap.mmap(self.f.fileno(), 24)

    def total(self):
        return sum(struct.unpack_from("QQQ", self.m, 0))


def run(s, u, req, n):
    """n requests, BATCH at a time; every reply checked."""
    for _ in range(n // BATCH):
        s.sendall(req * BATCH)
        got = 0
        while got < BATCH:
            for m in u:
                if m[2] is not None:
                    check(False, "reply without error: %r" % (m[2],))
                got += 1
            if got < BATCH:
                u.feed(s.recv(1 << 20))


def main():
    if os.environ.get("SANITIZE") == "1":
        print("allocs: SKIPPED: the sanitizers' allocator must come first")
        return 0
    root = tempfile.mkdtemp(prefix="hyco-allocs-",
                            dir="/dev/shm" if os.path.isdir("/dev/shm")
                            else None)
    counter = Counter(os.path.join(root, "counts"))
    os.environ["HYCO_ALLOC_COUNT"] = os.path.join(root, "counts")
    os.environ["LD_PRELOAD"] = os.environ["ALLOC_COUNT"]
    cache = os.path.join(root, "d", "cache")
    for ds in ("burgers_128", "smoke_128"):
        for i in range(20):
            write(os.path.join(cache, "tensors", ds, "sim_%d.pt" % i), 10)
    for c in range(10):
        write(os.path.join(cache, "generated", "synthetic_preds",
                           "cycle_%03d" % c, "burgers_128", "g.pt"), 100)
    h = Hycod(os.path.join(root, "d"))
    del os.environ["LD_PRELOAD"]
    try:
        check(counter.total() > 0, "the preload library counts")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(h.sock)
        u = msgpack.Unpacker(raw=False)
        for method, params in (
                ("ping", None), ("summary", None),
                ("get-cycle-dir", {"kind": "synthetic", "cycle": 3}),
                ("disk-check", {"required_bytes": 1}), ("stats", None)):
            req = msgpack.packb([0, 1, method, [params] if params else []])
            run(s, u, req, 1000)
            before = counter.total()
            run(s, u, req, N)
            n = counter.total() - before
            print("allocs: %s: %d allocations in %d requests once warm" %
                  (method, n, N))
            check(n < N // 100, "%s: %d allocations in %d requests" %
                  (method, n, N))
        s.close()
    finally:
        check(h.stop() == 0, "clean exit on SIGTERM")
    ok = check.summary()
    if ok:
        import shutil
        shutil.rmtree(root)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
