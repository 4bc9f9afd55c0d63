#!/usr/bin/python3
"""bench/obs.py: what observability costs, as ratios in the same run.

  1. metrics on a tree of D datasets and C cycles (get-cycle-dir asked
     for every dataset, so stats tracks them all): one at a time, rate
     against summary and against ping on the same tree (bench_rpc)
  2. request throughput with S subscribers attached (reading, in
     another process) against none: ping pipelined 100 deep (no event:
     what attached subscribers cost other traffic), and get-cycle-dir
     creating cycles (each an event copied to every subscriber)

Needs $HYCOD, $TOP and $BENCH_RPC (bench/run.sh builds it);
BENCH_OBS_DATASETS (100), BENCH_OBS_CYCLES (1000), BENCH_OBS_SUBS (100),
BENCH_OBS_CREATES (4000), BENCH_OBS_ROUNDS (3) set the sizes.
"""
import multiprocessing
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import msgpack

TOP = os.environ["TOP"]
HYCOD = os.environ["HYCOD"]
BENCH_RPC = os.environ["BENCH_RPC"]
DATASETS = int(os.environ.get("BENCH_OBS_DATASETS", 100))
CYCLES = int(os.environ.get("BENCH_OBS_CYCLES", 1000))
SUBS = int(os.environ.get("BENCH_OBS_SUBS", 100))
CREATES = int(os.environ.get("BENCH_OBS_CREATES", 4000))
ROUNDS = int(os.environ.get("BENCH_OBS_ROUNDS", 3))


class Client:
    def __init__(self, sock):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(sock)
        self.u = msgpack.Unpacker(raw=False)
        self.msgid = 0

    def pipeline(self, reqs):
        """Send every (method, params) in one write; wait for all."""
        out = []
        for method, params in reqs:
            self.msgid += 1
            out.append(msgpack.packb([0, self.msgid, method, [params]]))
        self.s.sendall(b"".join(out))
        n, errors = 0, 0
        while n < len(reqs):
            for m in self.u:
                if m[0] == 1:
                    n += 1
                    errors += m[2] is not None
            if n < len(reqs):
                self.u.feed(self.s.recv(1 << 20))
        return errors

    def call(self, method, **params):
        self.msgid += 1
        self.s.sendall(msgpack.packb([0, self.msgid, method, [params]]))
        while True:
            for m in self.u:
                if m[0] == 1:
                    return m[2], m[3]
            self.u.feed(self.s.recv(1 << 20))


def rate(sock, method, total, depth):
    out = subprocess.run([BENCH_RPC, sock, method, str(total), str(depth)],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"= (\d+) req/s", out).group(1)), out.strip()


def subscribers(sock, n, ready, stop):
    """n subscribers in this process, reading everything they are sent."""
    sel = selectors.DefaultSelector()
    conns = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        s.sendall(msgpack.packb([0, 1, "subscribe", []]))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        conns.append(s)
    ready.set()
    while not stop.is_set():
        for key, _ in sel.select(0.1):
            try:
                if not key.fileobj.recv(1 << 20):
                    sel.unregister(key.fileobj)
            except BlockingIOError:
                pass
    for s in conns:
        s.close()


def creates(c, first, n, ds):
    """get-cycle-dir creating n new cycles, 100 a write: requests/s."""
    t0 = time.time()
    errors = 0
    for b in range(first, first + n, 100):
        errors += c.pipeline([("get-cycle-dir", {"kind": "synthetic",
                                                 "cycle": i, "dataset": ds})
                              for i in range(b, min(b + 100, first + n))])
    el = time.time() - t0
    if errors:
        sys.exit("obs: %d get-cycle-dir errors" % errors)
    return n / el


def main():
    root = tempfile.mkdtemp(prefix="hyco-bench-obs-",
                            dir="/dev/shm" if os.path.isdir("/dev/shm")
                            else None)
    cache = os.path.join(root, "cache")
    sock = os.path.join(cache, "hycod.sock")
    proc = subprocess.Popen([HYCOD, "-c", os.path.join(TOP, "conf/config.yaml"),
                             "paths.cache_root=" + cache,
                             "retention.check_interval_s=3600"],
                            stderr=open(os.path.join(root, "hycod.log"), "w"))
    try:
        while not os.path.exists(sock):
            time.sleep(0.01)
        c = Client(sock)
        # 1. The tree: D datasets in tensors, C cycles (half of each
        # kind) spread over them, each dataset asked for.
        for d in range(DATASETS):
            p = os.path.join(cache, "tensors", "ds_%03d" % d)
            os.makedirs(p)
            with open(os.path.join(p, "t.pt"), "wb") as f:
                f.write(b"t" * (1000 + d))
        reqs = [("get-cycle-dir", {"kind": ("synthetic", "physical")[i % 2],
                                   "cycle": i // 2,
                                   "dataset": "ds_%03d" % (i % DATASETS)})
                for i in range(CYCLES)]
        for b in range(0, len(reqs), 100):
            c.pipeline(reqs[b:b + 100])
        while True:
            err, s = c.call("summary")
            if s["exact"]:
                break
            time.sleep(0.05)
        err, st = c.call("stats")
        text = c.call("metrics")[1]["text"]
        series = sum(1 for ln in text.splitlines() if not ln.startswith("#"))
        print("== obs 1. metrics on %d datasets, %d cycles (%d series, %d "
              "bytes; summary lists %d datasets, %d cycles)" %
              (DATASETS, CYCLES, series, len(text), len(s["datasets"]),
               len(s["cycles"])))
        m, mo = rate(sock, "metrics", 2000, 1)
        sm, so = rate(sock, "summary", 2000, 1)
        pg, po = rate(sock, "ping", 20000, 1)
        for line in (mo, so, po):
            print(line)
        print("metrics: %.0f us a call; summary %.0f us; ping %.0f us; "
              "ratio metrics/summary = %.2f, metrics/ping = %.1f" %
              (1e6 / m, 1e6 / sm, 1e6 / pg, sm / m, pg / m))

        # 2. Throughput with and without subscribers, alternated over
        # ROUNDS rounds (other work on the machine moves every figure):
        # the median of each ratio.
        print("== obs 2. throughput, %d subscribers attached vs none, %d "
              "rounds" % (SUBS, ROUNDS))
        pr, cr, first = [], [], 100000
        for r in range(ROUNDS):
            p0, _ = rate(sock, "ping", 200000, 100)
            c0 = creates(c, first, CREATES, "bench")
            first += CREATES
            ready, stop = multiprocessing.Event(), multiprocessing.Event()
            sp = multiprocessing.Process(target=subscribers,
                                         args=(sock, SUBS, ready, stop))
            sp.start()
            ready.wait()
            while c.call("stats")[1]["events"]["subscribers"] < SUBS:
                time.sleep(0.01)
            p1, _ = rate(sock, "ping", 200000, 100)
            c1 = creates(c, first, CREATES, "bench")
            first += CREATES
            stop.set()
            sp.join()
            while c.call("stats")[1]["events"]["subscribers"] > 0:
                time.sleep(0.01)
            pr.append((p1 / p0, p0, p1))
            cr.append((c1 / c0, c0, c1))
            print("round %d: ping depth 100 %.0f / %.0f req/s (%.2f); "
                  "get-cycle-dir creating %.0f / %.0f req/s (%.2f)" %
                  (r + 1, p0, p1, p1 / p0, c0, c1, c1 / c0))
        err, st = c.call("stats")
        pm, cm = sorted(pr)[ROUNDS // 2], sorted(cr)[ROUNDS // 2]
        print("ping depth 100: %.0f req/s without, %.0f with: median ratio "
              "with/without = %.2f" % (pm[1], pm[2], pm[0]))
        print("get-cycle-dir creating: %.0f req/s without, %.0f with (each "
              "an event to %d subscribers): median ratio with/without = "
              "%.2f" % (cm[1], cm[2], SUBS, cm[0]))
        print("events: %d notifications queued, %d subscribers dropped" %
              (st["events"]["notifications"], st["events"]["dropped"]))
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
