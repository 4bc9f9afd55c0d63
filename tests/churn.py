#!/usr/bin/python3
"""churn.py: writers change the cache tree in every way inotify can
report, at full speed, while hycod watches; once they stop and hycod
says it is exact, every figure of summary must equal an independent
walk of the tree, to the byte and file.

    churn.py [--seed N] [--ops N] [--writers N] [--overflow]
             [--max-watches N] [--queue N]

--overflow stops hycod (SIGSTOP) while the writers run, so the kernel
queue overflows and the overflow re-scan path is what makes it exact.
--max-watches caps hycod's watches: the rest of the tree is kept by
periodic re-scans, which must be exact too. --queue sets the sysctl
fs.inotify.max_queued_events for hycod's instance (root only).
Needs $HYCOD and $TOP (set by make check). Exit 0 when every check holds.
"""
import argparse
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

import msgpack

DATASETS = ["ds0", "ds1", "ds2", "burgers_128"]
KINDS = ["synthetic", "physical"]
CYCLE_RE = re.compile(r"^cycle_([0-9]+)$")


class Daemon:
    def __init__(self, root, overrides):
        self.root = root
        self.cache = os.path.join(root, "cache")
        self.sock_path = os.path.join(self.cache, "hycod.sock")
        self.log = open(os.path.join(root, "hycod.log"), "w")
        cmd = [os.environ["HYCOD"], "-c",
               os.path.join(os.environ["TOP"], "conf/config.yaml"),
               "paths.cache_root=" + self.cache] + overrides
        self.proc = subprocess.Popen(cmd, stderr=self.log)
        deadline = time.time() + 30
        while not os.path.exists(self.sock_path):
            if self.proc.poll() is not None or time.time() > deadline:
                sys.exit("churn: hycod did not start, see " + self.log.name)
            time.sleep(0.02)
        self.msgid = 0

    def call(self, method, params=None):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(self.sock_path)
        self.msgid += 1
        s.sendall(msgpack.packb([0, self.msgid, method,
                                 [params] if params else []]))
        u = msgpack.Unpacker(raw=False)
        while True:
            data = s.recv(1 << 20)
            if not data:
                raise RuntimeError("hycod closed the connection")
            u.feed(data)
            for msg in u:
                s.close()
                if msg[2] is not None:
                    raise RuntimeError("hycod error: %r" % (msg[2],))
                return msg[3]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(30)
        return self.proc.returncode


# -- writers -------------------------------------------------------------

def areas(cache):
    """Directories the writers work in, as the seed lays the tree out."""
    out = [os.path.join(cache, "generated", "misc")]
    for ds in DATASETS:
        out.append(os.path.join(cache, "tensors", ds))
        out.append(os.path.join(cache, "evaluation", ds))
        for kind in KINDS:
            for c in range(4):
                out.append(os.path.join(cache, "generated", kind + "_preds",
                                        "cycle_%03d" % c, ds))
    return out


def some_dir(rng, cache):
    d = rng.choice(areas(cache))
    for _ in range(rng.randrange(3)):
        d = os.path.join(d, "s%d" % rng.randrange(3))
    return d


def some_entry(rng, d, want_dir=None):
    try:
        names = os.listdir(d)
    except OSError:
        return None
    rng.shuffle(names)
    for n in names:
        p = os.path.join(d, n)
        if want_dir is None or os.path.isdir(p) == want_dir:
            return p
    return None


def write_file(rng, path, mode="wb"):
    size = rng.choice([0, 1, rng.randrange(4096), rng.randrange(65536)])
    with open(path, mode) as f:
        f.write(b"x" * size)


def writer(cache, outside, seed, ops, ident):
    rng = random.Random(seed)
    for i in range(ops):
        op = rng.randrange(100)
        try:
            d = some_dir(rng, cache)
            if op < 30:                          # create or rewrite
                os.makedirs(d, exist_ok=True)
                write_file(rng, os.path.join(d, "f%d" % rng.randrange(40)))
            elif op < 38:                        # append
                p = some_entry(rng, d, False)
                if p:
                    write_file(rng, p, "ab")
            elif op < 44:                        # truncate, up or down
                p = some_entry(rng, d, False)
                if p:
                    os.truncate(p, rng.randrange(20000))
            elif op < 56:                        # unlink
                p = some_entry(rng, d, False)
                if p:
                    os.unlink(p)
            elif op < 62:                        # rename within a directory
                p = some_entry(rng, d)
                if p:
                    os.rename(p, os.path.join(d, "r%d" % rng.randrange(40)))
            elif op < 68:                        # rename across directories
                p = some_entry(rng, d)
                to = some_dir(rng, cache)
                if p and not to.startswith(p):
                    os.makedirs(to, exist_ok=True)
                    os.rename(p, os.path.join(to, "m%d" % rng.randrange(40)))
            elif op < 74:                        # mkdir
                os.makedirs(os.path.join(d, "s%d" % rng.randrange(3)),
                            exist_ok=True)
            elif op < 78:                        # remove a subtree
                p = some_entry(rng, d, True)
                if p:
                    shutil.rmtree(p, ignore_errors=True)
            elif op < 83:                        # move out of the tree
                p = some_entry(rng, d)
                if p:
                    out = os.path.join(outside, "out%d-%d" % (ident, i))
                    os.rename(p, out)
                    # Gone from the tree; keep outside from growing.
                    if os.path.isdir(out):
                        shutil.rmtree(out, ignore_errors=True)
                    else:
                        os.unlink(out)
            elif op < 90:                        # a whole subtree moves in
                src = os.path.join(outside, "in%d-%d" % (ident, i))
                for k in range(rng.randrange(1, 4)):
                    sub = os.path.join(src, *["t%d" % j for j in range(k)])
                    os.makedirs(sub, exist_ok=True)
                    for n in range(rng.randrange(1, 15)):
                        write_file(rng, os.path.join(sub, "g%d" % n))
                os.makedirs(d, exist_ok=True)
                os.rename(src, os.path.join(d, "in%d" % rng.randrange(10)))
            elif op < 95:                        # a file moves in
                src = os.path.join(outside, "file%d-%d" % (ident, i))
                write_file(rng, src)
                os.makedirs(d, exist_ok=True)
                os.rename(src, os.path.join(d, "a%d" % rng.randrange(40)))
            elif op < 99:                        # symlinks are not counted
                os.makedirs(d, exist_ok=True)
                os.symlink(outside, os.path.join(d, "l%d" % rng.randrange(5)))
            else:                                # a category root goes
                root = os.path.join(cache, rng.choice(
                    ["evaluation", "generated/physical_preds"]))
                if rng.randrange(4) == 0:
                    shutil.rmtree(root, ignore_errors=True)
                else:
                    out = os.path.join(outside, "root%d-%d" % (ident, i))
                    os.rename(root, out)
                    shutil.rmtree(out, ignore_errors=True)
                os.makedirs(root, exist_ok=True)
        except OSError:
            pass                                 # other writers race us


# -- the independent walk ------------------------------------------------

def walk_sum(root):
    b = f = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for n in filenames + dirnames:
            try:
                st = os.lstat(os.path.join(dirpath, n))
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                b += st.st_size
                f += 1
    return b, f


def subdirs(d):
    try:
        return sorted(n for n in os.listdir(d)
                      if not os.path.islink(os.path.join(d, n))
                      and os.path.isdir(os.path.join(d, n)))
    except OSError:
        return []


def expected(cache):
    cats = {"tensors": "tensors", "eval": "evaluation",
            "generated": "generated"}
    out = {"datasets": {}, "cycles": []}
    files = 0
    for cat, rel in cats.items():
        root = os.path.join(cache, rel)
        out[cat], f = walk_sum(root)
        files += f
        if cat != "generated":
            for ds in subdirs(root):
                if ds.startswith("."):
                    continue
                e = out["datasets"].setdefault(
                    ds, {"tensors": 0, "generated": 0, "eval": 0})
                e[cat] += walk_sum(os.path.join(root, ds))[0]
    out["files"] = files
    for kind in KINDS:
        root = os.path.join(cache, "generated", kind + "_preds")
        for c in subdirs(root):
            m = CYCLE_RE.match(c)
            if not m or "cycle_%03d" % int(m.group(1)) != c or \
                    int(m.group(1)) > 999999:
                continue
            b, f = walk_sum(os.path.join(root, c))
            out["cycles"].append({"kind": kind, "cycle": int(m.group(1)),
                                  "bytes": b, "files": f})
            for ds in subdirs(os.path.join(root, c)):
                if ds.startswith("."):
                    continue
                e = out["datasets"].setdefault(
                    ds, {"tensors": 0, "generated": 0, "eval": 0})
                e["generated"] += walk_sum(os.path.join(root, c, ds))[0]
    out["cycles"].sort(key=lambda c: (c["kind"], c["cycle"]))
    return out


def compare(got, want):
    bad = []
    for k in ("tensors", "generated", "eval", "files"):
        if got[k] != want[k]:
            bad.append("%s: hycod %d, walk %d" % (k, got[k], want[k]))
    if got["datasets"] != want["datasets"]:
        bad.append("datasets: hycod %r, walk %r" % (got["datasets"],
                                                     want["datasets"]))
    if got["cycles"] != want["cycles"]:
        bad.append("cycles: hycod %r, walk %r" % (got["cycles"],
                                                  want["cycles"]))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ops", type=int, default=4000, help="per writer")
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--overflow", action="store_true")
    ap.add_argument("--max-watches", type=int, default=0)
    ap.add_argument("--queue", type=int, default=0)
    a = ap.parse_args()

    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    root = tempfile.mkdtemp(prefix="hyco-churn-", dir=base)
    outside = os.path.join(root, "outside")
    os.makedirs(outside)
    overrides = []
    if a.max_watches:
        overrides += ["daemon.max_watches=%d" % a.max_watches,
                      "daemon.rescan_interval_s=0.3"]
    sysctl = "/proc/sys/fs/inotify/max_queued_events"
    old_queue = None
    if a.queue:
        try:
            old_queue = open(sysctl).read().strip()
            open(sysctl, "w").write(str(a.queue))
        except OSError as e:
            sys.exit("churn: --queue needs a writable %s: %s" % (sysctl, e))
    failures = []
    d = Daemon(root, overrides)
    try:
        if old_queue is not None:    # read at inotify_init1: restore now
            open(sysctl, "w").write(old_queue)
        for p in areas(d.cache) + [os.path.join(d.cache, "tensors",
                                                 "storm")]:
            os.makedirs(p, exist_ok=True)
        # Every area seen (watched, unless over --max-watches) first.
        deadline = time.time() + 60
        while time.time() < deadline:
            s = d.call("summary")
            if s["exact"] or (a.max_watches and not s["rescanning"]):
                break
            time.sleep(0.01)
        t0 = time.time()
        ws = [multiprocessing.Process(target=writer, args=(
            d.cache, outside, a.seed * 1000 + i, a.ops, i))
            for i in range(a.writers)]
        for w in ws:
            w.start()
        if a.overflow:
            # While hycod sleeps, more events than the kernel queues
            # (16384 by default) pile up on top of the writers'.
            time.sleep(0.05)
            d.proc.send_signal(signal.SIGSTOP)
            storm = os.path.join(d.cache, "tensors", "storm")
            for n in range(20000):
                with open(os.path.join(storm, "storm%d" % n), "wb") as f:
                    f.write(b"s" * (n % 7))
            for n in range(0, 20000, 2):
                os.unlink(os.path.join(storm, "storm%d" % n))
            d.proc.send_signal(signal.SIGCONT)
        for w in ws:
            w.join()
        took = time.time() - t0
        before = d.call("summary")["rescans"]
        # Wait for exact; with a watch cap, for two re-scans begun after the
        # writers stopped (a re-scan picks the unwatched parts as it starts).
        deadline = time.time() + 120
        while True:
            s = d.call("summary")
            if a.max_watches:
                if s["rescans"] >= before + 2 and not s["rescanning"]:
                    break
            elif s["exact"]:
                break
            if time.time() > deadline:
                failures.append("never exact: %r" % {k: s[k] for k in (
                    "exact", "rescanning", "unwatched_dirs", "overflows")})
                break
            time.sleep(0.05)
        lag = time.time() - t0 - took
        failures += compare(s, expected(d.cache))
        if s["reconciled"] == 0 or s["scan_errors"] != 0:
            failures.append("counters: %d reconciled (%d files), %d scan "
                            "errors" % (s["reconciled"], s["files"],
                                        s["scan_errors"]))
        if a.overflow and s["overflows"] == 0:
            failures.append("--overflow: the queue never overflowed")
        if a.overflow and s["rescans"] < 2:
            failures.append("--overflow: no re-scan after the overflow")
        if a.max_watches:
            if s["unwatched_dirs"] == 0 or s["exact"]:
                failures.append("--max-watches: expected unwatched "
                                "directories and exact false, got %d, %r" %
                                (s["unwatched_dirs"], s["exact"]))
            if s["watched_dirs"] > a.max_watches:
                failures.append("--max-watches: %d watches over the cap" %
                                s["watched_dirs"])
        print("churn: seed %d, %d writers x %d ops in %.2f s; exact %.2f s "
              "later; %d files, %d events, %d overflows, %d rescans, "
              "%d watched, %d unwatched" %
              (a.seed, a.writers, a.ops, took, lag, s["files"], s["events"],
               s["overflows"], s["rescans"], s["watched_dirs"],
               s["unwatched_dirs"]))
    finally:
        rc = d.stop()
    if rc != 0:
        failures.append("hycod exited %s" % rc)
    for f in failures:
        print("FAIL:", f)
    if failures:
        print("churn: tree and log kept in", root)
        sys.exit(1)
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
