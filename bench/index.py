#!/usr/bin/python3
"""bench/index.py: hycod's index against real references, same run.

  1. start-up index of N files (100k, 1M) vs `du -sb` of the same tree
  2. summary latency: the 1M-file tree vs its directories with no file
     (the same datasets and cycles to report): ratio ~1 = O(1) in files
  3. events absorbed: a writer creating and deleting small files as
     fast as it can; events/s, and the lag from its last write to an
     exact summary
  4. resident memory per tracked file (VmRSS of hycod on each tree
     minus VmRSS on the same directories with no file)

Needs $HYCOD, $TOP; BENCH_INDEX_SIZES="100000 1000000" sets the trees.
The trees go in a temporary directory under BENCH_TMP (/dev/shm; 5M
files need a tmpfs with more inodes than /dev/shm may have: mount one
with nr_inodes=8M). BENCH_INDEX_TREES=DIR keeps them in DIR instead and
reuses them on the next run, so that two builds of hycod can be run in
turn on the very same trees.
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


class Daemon:
    # No busy polling: this client's round trip is near busy_poll_us,
    # so whether the loop spins between its calls would decide the
    # summary latencies compared here, not the tree.
    def __init__(self, cache, *overrides):
        self.sock = os.path.join(cache, "hycod.sock")
        self.log = os.path.join(os.path.dirname(cache), "hycod.log")
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        t0 = time.time()
        self.proc = subprocess.Popen(
            [HYCOD, "-c", os.path.join(TOP, "conf/config.yaml"),
             "paths.cache_root=" + cache, "daemon.busy_poll_us=0"] +
            list(overrides), stderr=open(self.log, "w"))
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None:
                sys.exit("hycod died, see " + self.log)
            time.sleep(0.002)
        self.ready_s = time.time() - t0
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(self.sock)
        self.u = msgpack.Unpacker(raw=False)
        self.id = 0

    def call(self, method):
        self.id += 1
        self.s.sendall(msgpack.packb([0, self.id, method, []]))
        while True:
            for m in self.u:
                return m[3]
            self.u.feed(self.s.recv(1 << 22))

    def scan_s(self):
        for line in open(self.log):
            if "indexed" in line:
                return float(line.split(" directories in ")[1].split(" s")[0])
        return float("nan")

    def rss_kb(self):
        for line in open("/proc/%d/status" % self.proc.pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait()


def make_tree(cache, n, files=True):
    """n small files, 1000 a directory, in dataset and cycle directories;
    files=False makes the same directories with no file in them. A tree
    left whole by an earlier run (its .done marker) is reused."""
    done = os.path.join(os.path.dirname(cache), ".done")
    if os.path.exists(done):
        return
    shutil.rmtree(os.path.dirname(cache), ignore_errors=True)
    per = 1000
    for d in range(n // per):
        if d % 2:
            p = os.path.join(cache, "tensors", "ds%d" % (d % 10), "s%d" % d)
        else:
            p = os.path.join(cache, "generated", "synthetic_preds",
                             "cycle_%03d" % (d % 50), "ds%d" % (d % 10),
                             "s%d" % d)
        os.makedirs(p)
        for i in range(per if files else 0):
            fd = os.open(os.path.join(p, "sample_%06d.pt" % i),
                         os.O_CREAT | os.O_WRONLY, 0o644)
            if i % 10 == 0:
                os.write(fd, b"x" * (i % 997))
            os.close(fd)
    open(done, "w").close()


def du_s(path):
    best = None
    for _ in range(2):
        t0 = time.time()
        subprocess.run(["du", "-sb", path], stdout=subprocess.DEVNULL,
                       check=True)
        t = time.time() - t0
        best = t if best is None else min(best, t)
    return best


def summary_us(d, n=1000):
    for _ in range(500):            # warm: both daemons measured alike
        d.call("summary")
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        d.call("summary")
        lat.append(time.perf_counter() - t0)
    lat.sort()
    return lat[len(lat) // 2] * 1e6, lat[int(len(lat) * 0.99)] * 1e6


def main():
    sizes = [int(x) for x in os.environ.get(
        "BENCH_INDEX_SIZES", "100000 1000000").split()]
    keep = os.environ.get("BENCH_INDEX_TREES")
    if keep:
        base = keep
        os.makedirs(base, exist_ok=True)
    else:
        base = tempfile.mkdtemp(prefix="hyco-bench-index-",
                                dir=os.environ.get("BENCH_TMP", "/dev/shm"))
    try:
        # Same directories (datasets, cycles), no files: the baseline.
        make_tree(os.path.join(base, "empty", "cache"), sizes[-1], False)
        e = Daemon(os.path.join(base, "empty", "cache"))
        e.call("summary")
        e_rss = e.rss_kb()

        print("== start-up index vs du -sb (same tree, tmpfs)")
        for n in sizes:
            cache = os.path.join(base, "t%d" % n, "cache")
            make_tree(cache, n)
            du = du_s(cache)
            d = Daemon(cache)
            s = d.call("summary")
            scan = d.scan_s()
            rss = d.rss_kb()
            print("%8d files: hycod index %.3f s (socket up after %.3f s), "
                  "du -sb %.3f s, ratio index/du = %.2f; %.1f bytes per "
                  "file (VmRSS delta)" %
                  (s["tracked_files"], scan, d.ready_s, du, scan / du,
                   (rss - e_rss) * 1024.0 / s["tracked_files"]))
            if n == sizes[-1]:
                big, big_n = d, s["tracked_files"]
            else:
                d.stop()

        print("== summary latency: same directories, no files vs %d files"
              % big_n)
        # Turn about, three rounds, the median of each side's figures:
        # this machine's wake-up latency drifts between rounds.
        rounds = [(summary_us(e), summary_us(big)) for _ in range(3)]
        e_p50, e_p99 = (sorted(r[0][i] for r in rounds)[1] for i in (0, 1))
        b_p50, b_p99 = (sorted(r[1][i] for r in rounds)[1] for i in (0, 1))
        print("empty: p50 %.0f us, p99 %.0f us; %d files: p50 %.0f us, "
              "p99 %.0f us; ratio p50 = %.2f (medians of 3 rounds, turn "
              "about; the p50 ratios of the rounds: %s)" %
              (e_p50, e_p99, big_n, b_p50, b_p99, b_p50 / e_p50,
               ", ".join("%.2f" % (r[1][0] / r[0][0]) for r in rounds)))

        print("== memory")
        s = big.call("summary")
        rss = big.rss_kb()
        print("VmRSS %.1f MB with %d files vs %.1f MB empty: %.1f bytes per "
              "tracked file (index_bytes says %.1f)" %
              (rss / 1024, big_n, e_rss / 1024,
               (rss - e_rss) * 1024.0 / big_n, s["index_bytes"] / big_n))
        big.stop()

        print("== events absorbed (create + write + delete small files)")
        cache = os.path.join(base, "empty", "cache")
        w = os.path.join(cache, "tensors", "churn")
        shutil.rmtree(w, ignore_errors=True)
        os.makedirs(w)
        e.call("summary")
        ev0 = e.call("summary")["events"]
        ops = 100000
        t0 = time.time()
        for i in range(ops):
            p = os.path.join(w, "f%d" % (i % 5000))
            fd = os.open(p, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
            os.write(fd, b"y" * (i % 100))
            os.close(fd)
            if i % 3 == 0:
                os.unlink(p)
        t1 = time.time()
        want = sum(os.lstat(os.path.join(w, f)).st_size
                   for f in os.listdir(w))
        while True:
            s = e.call("summary")
            if s["exact"] and s["tensors"] == want:
                break
        t2 = time.time()
        events = s["events"] - ev0
        print("writer: %d ops in %.2f s; hycod absorbed %d events = %.0f "
              "events/s (%d overflows); exact %.1f ms after the last write" %
              (ops, t1 - t0, events, events / (t2 - t0), s["overflows"],
               (t2 - t1) * 1000))
        e.stop()
        shutil.rmtree(w, ignore_errors=True)
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
