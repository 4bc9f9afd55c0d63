#!/usr/bin/python3
"""bench/removal.py: removing a 100k-file cycle, against rm -rf, same run.

  - time to the cleanup-cycle reply, and to the last byte freed (trash
    empty), vs `rm -rf` of an identical tree
  - p50/p99 latency of summary requests sent throughout the removal vs
    the same requests against the idle daemon

Needs $HYCOD, $TOP; BENCH_FILES (default 100000).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.environ["TOP"], "tests"))
from removal import Hycod  # noqa: E402
from policy import Conn  # noqa: E402

N = int(os.environ.get("BENCH_FILES", "100000"))


def make(d, n):
    for s in range(n // 1000):
        sub = os.path.join(d, "s%d" % s)
        os.makedirs(sub)
        for i in range(1000):
            fd = os.open(os.path.join(sub, "f%d.pt" % i),
                         os.O_CREAT | os.O_WRONLY, 0o644)
            os.write(fd, b"x" * (i % 64))
            os.close(fd)


def latencies(c, stop, out):
    while not stop.is_set():
        t0 = time.perf_counter()
        c.call("summary")
        out.append(time.perf_counter() - t0)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] * 1e6


def main():
    base = tempfile.mkdtemp(prefix="hyco-bench-rm-", dir="/dev/shm")
    try:
        h = Hycod(base)
        ref = os.path.join(base, "copy")
        make(ref, N)
        t0 = time.time()
        subprocess.run(["rm", "-rf", ref], check=True)
        rm_s = time.time() - t0

        target = os.path.join(h.cache, "generated", "synthetic_preds",
                              "cycle_001", "burgers_128")
        make(target, N)
        while not h.call("summary")[1]["exact"]:
            time.sleep(0.01)
        c = Conn(h)
        for _ in range(2000):        # warm: same state for both runs
            c.call("summary")
        idle = []
        stop = threading.Event()
        th = threading.Thread(target=latencies, args=(c, stop, idle))
        th.start()
        time.sleep(0.5)
        stop.set()
        th.join()

        busy = []
        stop = threading.Event()
        th = threading.Thread(target=latencies, args=(c, stop, busy))
        th.start()
        t0 = time.time()
        err, r = h.call("cleanup-cycle", cycle=1)
        reply_s = time.time() - t0
        while True:
            err, s = h.call("summary")
            if s["trash_items"] == 0:
                break
            time.sleep(0.001)
        freed_s = time.time() - t0
        stop.set()
        th.join()
        print("removal of %d files: reply %.1f ms, last byte freed %.3f s; "
              "rm -rf %.3f s; ratio freed/rm = %.2f, reply/rm = %.3f" %
              (N, reply_s * 1e3, freed_s, rm_s, freed_s / rm_s,
               reply_s / rm_s))
        print("summary latency idle: p50 %.0f us, p99 %.0f us (%d); during "
              "the removal: p50 %.0f us, p99 %.0f us (%d); ratio p99 = %.2f"
              % (pct(idle, .5), pct(idle, .99), len(idle), pct(busy, .5),
                 pct(busy, .99), len(busy), pct(busy, .99) / pct(idle, .99)))
        c.close()
        h.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
