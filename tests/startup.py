#!/usr/bin/python3
"""startup.py: hycod serves from the first moment, while its start-up
scan of a big tree (a few hundred thousand files on /dev/shm) runs:

  - a client is answered within milliseconds of the socket appearing,
    and summary with wait: false then says scanning true, exact false
  - ping, get-cycle-dir, disk-check, cleanup-cycle and reload answer at
    once; summary (plain), prune, clean and cleanup-generated wait for
    the scan and are answered once it is in, pipelined replies and all
  - removals all through the scan (cleanup-cycle of cycles the scan has
    read, or not yet) report the bytes they took, as a walk counts them
  - a cycle directory created during the scan exists at once, and is
    in summary once the scan is in, with what a trainer wrote there
  - once in, summary is exact and equal to an independent walk
  - SIGHUP during the scan reloads and kills nothing
  - SIGTERM while requests wait for the scan: exit 0, nothing leaks
Needs $HYCOD and $TOP; STARTUP_FILES sets the tree (default 400000)."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import churn  # noqa: E402  (the independent walk)
from hytest import Checks, next_msg, write  # noqa: E402

check = Checks("startup")
PER_DIR = 1000
CYCLES = 40
REMOVE_MAX = 24    # cycles removed during the scan, at most


def make_tree(cache, n):
    """n small files, PER_DIR a directory: one directory in eight in a
    tensor dataset, the rest in CYCLES synthetic cycles (generated is
    scanned after tensors: removals during the scan meet cycles both
    read and not read yet)."""
    for d in range(n // PER_DIR):
        if d % 8 == 0:
            p = os.path.join(cache, "tensors", "ds%d" % (d % 7), "s%d" % d)
        else:
            p = os.path.join(cache, "generated", "synthetic_preds",
                             "cycle_%03d" % (d % CYCLES),
                             "ds%d" % (d % 7), "s%d" % d)
        os.makedirs(p)
        for i in range(PER_DIR):
            fd = os.open(os.path.join(p, "f%04d" % i),
                         os.O_CREAT | os.O_WRONLY, 0o644)
            if i % 10 == 0:
                os.write(fd, b"x" * (1 + i % 997))
            os.close(fd)


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(60)
        self.s.connect(path)
        self.u = msgpack.Unpacker(raw=False)
        self.id = 0

    def send(self, method, **params):
        self.id += 1
        self.s.sendall(msgpack.packb([0, self.id, method,
                                      [params] if params else []]))
        return self.id

    def next(self):
        return next_msg(self.s, self.u)

    def call(self, method, **params):
        msgid = self.send(method, **params)
        r = self.next()
        check(r is not None and r[1] == msgid, "%s: reply to %d: %r" %
              (method, msgid, r))
        return r[2], r[3]


class Daemon:
    def __init__(self, root, cache, *overrides):
        self.sock = os.path.join(cache, "hycod.sock")
        self.log = os.path.join(root, "hycod.log")
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [os.environ["HYCOD"], "-c",
             os.path.join(os.environ["TOP"], "conf/config.yaml"),
             "paths.cache_root=" + cache, "daemon.log_level=debug"] +
            list(overrides), stderr=open(self.log, "a"))
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None or \
                    time.monotonic() - self.t0 > 30:
                sys.exit("startup: hycod did not start, see " + self.log)
            time.sleep(0.0005)
        self.socket_s = time.monotonic() - self.t0

    def scan_s(self):
        for line in open(self.log):
            if "start-up scan in" in line:
                return float(line.split(", ")[1].split(" s after")[0])
        return None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(60)


def cycle_path(cache, c):
    return os.path.join(cache, "generated", "synthetic_preds",
                        "cycle_%03d" % c)


def test_first_moment(root, cache, n):
    # What each cycle holds, counted by a walk before the daemon runs.
    held = {c: churn.walk_sum(cycle_path(cache, c))[0]
            for c in range(REMOVE_MAX)}
    d = Daemon(root, cache)
    c = Conn(d.sock)
    t = time.monotonic()
    err, p = c.call("ping")
    first = time.monotonic()
    check(err is None and p["pid"] == d.proc.pid, "ping: %r %r" % (err, p))
    err, s = c.call("summary", wait=False)
    check(err is None and s["scanning"] is True and s["exact"] is False,
          "summary wait false during the scan: scanning %r, exact %r" %
          (s and s["scanning"], s and s["exact"]))
    check(s["files"] < n, "during the scan: what is known, %d files of %d"
          % (s["files"], n))
    print("startup: socket after %.1f ms, first reply %.1f ms after "
          "connecting (%.1f ms after start)" %
          (d.socket_s * 1000, (first - t) * 1000, (first - d.t0) * 1000))
    check(first - t < 0.5, "first reply within 500 ms of connecting: "
          "%.1f ms" % ((first - t) * 1000))

    # Pipelined: a summary and a prune that wait, pings that do not.
    ids = [c.send("ping"), c.send("summary"), c.send("ping"),
           c.send("prune", dry_run=True)]

    # At once during the scan: get-cycle-dir, disk-check, reload.
    o = Conn(d.sock)
    err, r = o.call("get-cycle-dir", kind="synthetic", cycle=900,
                    dataset="burgers_128")
    check(err is None and r["created"] and os.path.isdir(r["path"]),
          "get-cycle-dir during the scan creates it: %r %r" % (err, r))
    if r:
        write(os.path.join(r["path"], "pred.bin"), 12345)
    err, r = o.call("disk-check", required_bytes=1)
    check(err is None and r["ok"], "disk-check during the scan: %r" % (r,))
    d.proc.send_signal(signal.SIGHUP)
    err, r = o.call("reload")
    check(err is None and r["ok"], "reload during the scan: %r %r" %
          (err, r))
    # Removals all through the scan: cycles read already, or not yet.
    removed = []
    for cyc in range(REMOVE_MAX):
        err, s = o.call("summary", wait=False)
        if not s["scanning"]:
            break
        err, r = o.call("cleanup-cycle", cycle=cyc)
        check(err is None and r["freed_bytes"] == held[cyc],
              "cleanup-cycle %d during the scan: freed %r, a walk counted "
              "%d" % (cyc, r and r["freed_bytes"], held[cyc]))
        check(not os.path.exists(cycle_path(cache, cyc)),
              "cycle %d is gone" % cyc)
        removed.append(cyc)
        time.sleep(0.02)
    check(len(removed) >= 2, "removals during the scan: %d (make the tree "
          "bigger: STARTUP_FILES)" % len(removed))

    # The replies: pings at once, the rest once the scan was in.
    order, replies = [], {}
    for _ in ids:
        r = c.next()
        order.append(r[1])
        replies[r[1]] = r
    check(order[:2] == [ids[0], ids[2]], "the pings are answered before "
          "what waits: %r" % order)
    r = replies[ids[1]]
    check(r[2] is None and r[3]["scanning"] is False,
          "the parked summary is answered after the scan: %r" % (r[2],))
    r = replies[ids[3]]
    check(r[2] is None and r[3]["dry_run"] is True,
          "the parked prune is answered: %r" % (r[2],))
    deadline = time.time() + 30
    while True:
        err, s = c.call("summary")
        if s["exact"] and s["trash_items"] == 0 or time.time() > deadline:
            break
        time.sleep(0.05)
    exact_s = time.monotonic() - d.t0
    bad = churn.compare(s, churn.expected(cache))
    check(s["exact"] and not bad, "summary once the scan is in equals a "
          "walk: %s" % bad)
    check(not [x for x in s["cycles"] if x["cycle"] in removed],
          "no removed cycle left in the index")
    check(any(x["cycle"] == 900 and x["bytes"] == 12345
              for x in s["cycles"]),
          "the cycle made during the scan is counted, with its file")
    print("startup: %d files, %d cycles removed during the scan; scan in "
          "%.3f s, exact %.3f s after start" %
          (s["files"], len(removed), d.scan_s() or -1, exact_s))
    check("reload (SIGHUP)" in open(d.log).read(),
          "SIGHUP during the scan reloaded")
    check(d.stop() == 0, "exit 0 on SIGTERM")


def test_stop_while_waiting(root, cache):
    d = Daemon(root, cache)
    c = Conn(d.sock)
    c.send("summary")
    c.send("clean", target="eval", confirm=True)
    err, s = Conn(d.sock).call("summary", wait=False)
    waited = s["scanning"]
    rc = d.stop()
    check(rc == 0, "SIGTERM with requests waiting for the scan: exit %r"
          % rc)
    check(c.next() is None or not waited, "the waiting client is closed")


def main():
    n = int(os.environ.get("STARTUP_FILES", "400000"))
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    root = tempfile.mkdtemp(prefix="hyco-startup-", dir=base)
    cache = os.path.join(root, "cache")
    try:
        t = time.monotonic()
        make_tree(cache, n)
        print("startup: made %d files in %.1f s" % (n, time.monotonic() - t))
        test_first_moment(root, cache, n)
        test_stop_while_waiting(root, cache)
    finally:
        subprocess.run(["rm", "-rf", root])
    return 0 if check.summary() else 1


if __name__ == "__main__":
    sys.exit(main())
