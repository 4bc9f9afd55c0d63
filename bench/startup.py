#!/usr/bin/python3
"""bench/startup.py: how soon hycod serves, and how soon it is exact.

For trees of N small files (1000 a directory, half in tensor datasets,
half in cycles, on tmpfs), from the moment hycod is started:
  - socket: the socket file exists
  - first reply: a ping, sent as soon as the socket accepts, answered
  - scan in: a plain summary sent with that ping (it waits for the
    start-up scan) answered
  - exact: the first summary that says exact (polled with wait: false)
Before issue 9 the socket appeared only once the scan was in, so the
first reply came after "scan in"; `du -sb` of the same tree is the
reference for the scan.

Sizes whose inodes the filesystem of the trees does not have free are
skipped, and said so. Needs $HYCOD, $TOP; BENCH_STARTUP_SIZES (default
"100000 1000000 5000000"), BENCH_DIR (default /dev/shm).
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import msgpack

TOP = os.environ["TOP"]
HYCOD = os.environ["HYCOD"]
PER_DIR = 1000


def grow_tree(cache, have, want):
    """Directories have // PER_DIR .. want // PER_DIR, PER_DIR files each."""
    for d in range(have // PER_DIR, want // PER_DIR):
        if d % 2:
            p = os.path.join(cache, "tensors", "ds%d" % (d % 10), "s%d" % d)
        else:
            p = os.path.join(cache, "generated", "synthetic_preds",
                             "cycle_%03d" % (d % 50), "ds%d" % (d % 10),
                             "s%d" % d)
        os.makedirs(p)
        for i in range(PER_DIR):
            fd = os.open(os.path.join(p, "f%04d" % i),
                         os.O_CREAT | os.O_WRONLY, 0o644)
            if i % 10 == 0:
                os.write(fd, b"x" * (i % 997))
            os.close(fd)


def du_s(path):
    t0 = time.monotonic()
    subprocess.run(["du", "-sb", path], stdout=subprocess.DEVNULL, check=True)
    return time.monotonic() - t0


def recv(s, u):
    while True:
        for m in u:
            return m
        data = s.recv(1 << 22)
        if not data:
            raise RuntimeError("hycod closed the connection")
        u.feed(data)


def one_start(root, cache):
    sock = os.path.join(cache, "hycod.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    t0 = time.monotonic()
    proc = subprocess.Popen([HYCOD, "-c", os.path.join(TOP,
                            "conf/config.yaml"), "paths.cache_root=" + cache],
                            stderr=open(os.path.join(root, "hycod.log"), "a"))
    while not os.path.exists(sock):
        if proc.poll() is not None:
            sys.exit("hycod died, see %s/hycod.log" % root)
        time.sleep(0.0002)
    t_sock = time.monotonic() - t0
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    u = msgpack.Unpacker(raw=False)
    s.sendall(msgpack.packb([0, 1, "ping", []]) +
              msgpack.packb([0, 2, "summary", []]))
    r = recv(s, u)
    t_first = time.monotonic() - t0
    assert r[1] == 1 and r[2] is None, r
    r = recv(s, u)
    t_scan = time.monotonic() - t0
    assert r[1] == 2 and r[2] is None, r
    files = r[3]["files"]
    msgid = 3
    while True:
        s.sendall(msgpack.packb([0, msgid, "summary", [{"wait": False}]]))
        r = recv(s, u)
        if r[3]["exact"]:
            break
        msgid += 1
        time.sleep(0.001)
    t_exact = time.monotonic() - t0
    s.close()
    proc.send_signal(signal.SIGTERM)
    proc.wait()
    return t_sock, t_first, t_scan, t_exact, files


def main():
    sizes = [int(x) for x in os.environ.get(
        "BENCH_STARTUP_SIZES", "100000 1000000 5000000").split()]
    where = os.environ.get("BENCH_DIR", "/dev/shm")
    root = tempfile.mkdtemp(prefix="hyco-bench-startup-", dir=where)
    cache = os.path.join(root, "cache")
    have = 0
    print("== time to first reply and to exact, from the start of hycod "
          "(tmpfs)")
    try:
        for n in sorted(sizes):
            st = os.statvfs(root)
            need = (n - have) * 1.01 + 1000
            if st.f_favail < need:
                print("%8d files: skipped, %s has %d free inodes, this "
                      "tree needs %d more" % (n, where, st.f_favail,
                                              int(need)))
                continue
            grow_tree(cache, have, n)
            have = n
            du = du_s(cache)
            t_sock, t_first, t_scan, t_exact, files = one_start(root, cache)
            print("%8d files: socket %.1f ms, first reply %.1f ms; scan in "
                  "%.3f s, exact %.3f s; du -sb %.3f s; first reply / scan "
                  "in = %.4f" % (files, t_sock * 1000, t_first * 1000,
                                 t_scan, t_exact, du, t_first / t_scan))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
