#!/usr/bin/python3
"""shutdown.py: SIGTERM while removals and cleanups are in flight.

Each round fills a tree (cycles of both kinds, tensor and eval datasets,
a symlink inside a cycle to a directory outside the cache), pipelines
many cleanup-cycle, clean and cleanup-generated requests (with and
without wait) on several connections, and sends SIGTERM after a delay
that differs from round to round, so that it lands before, among and
after the renames, while the trash deletes, and while jobs are queued
on the thread pool. Then:
  - hycod exits 0 (under SANITIZE=1: no ASan, UBSan or leak report);
  - everything that is not a target is exactly as before (a checksum
    of names, modes and contents, outside the cache too);
  - every target is either intact where it was or gone from there
    whole (renamed into the trash): nothing is half-removed in place;
  - the next start empties the trash and its summary equals a walk.
Needs $HYCOD and $TOP (set by make check); SHUTDOWN_ROUNDS (8)."""
import hashlib
import os
import random
import shutil
import socket
import sys
import tempfile
import threading
import time

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import churn  # noqa: E402  (the independent walk)
from hytest import Checks  # noqa: E402
from removal import Hycod, fill  # noqa: E402

check = Checks("shutdown")
CYCLES = 12
FILES = 150


def digest(root, skip=()):
    """Names, modes and contents under root, leaving out skip (paths)."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames
                             if os.path.join(dirpath, d) not in skip)
        for n in sorted(filenames + dirnames):
            p = os.path.join(dirpath, n)
            if p in skip:
                continue
            st = os.lstat(p)
            h.update(p.encode() + b"\0" + oct(st.st_mode).encode())
            if os.path.islink(p):
                h.update(os.readlink(p).encode())
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()


def populate(h, outside):
    """The tree each round starts from; returns the targets' paths."""
    pred = {k: os.path.join(h.cache, "generated", k + "_preds")
            for k in ("synthetic", "physical")}
    targets = []
    for c in range(CYCLES):
        for k in ("synthetic", "physical"):
            d = os.path.join(pred[k], "cycle_%03d" % c)
            if not os.path.exists(d):
                fill(os.path.join(d, "burgers_128"), FILES)
                fill(os.path.join(d, "heat_64"), FILES // 5)
            targets.append(d)
    # A link inside a cycle to data outside: only the link may go.
    link = os.path.join(pred["physical"], "cycle_000", "burgers_128", "out")
    if not os.path.lexists(link):
        os.symlink(outside, link)
    for cat in ("tensors", "evaluation"):
        for ds in ("burgers_128", "heat_64", "keep_me"):
            d = os.path.join(h.cache, cat, ds)
            if not os.path.exists(d):
                fill(d, FILES // 3)
    targets.append(os.path.join(h.cache, "evaluation", "heat_64"))
    targets.append(os.path.join(h.cache, "tensors", "burgers_128"))
    return targets


def requests(rng):
    """Many removals and a few other jobs, for each of 4 connections."""
    per = []
    for conn in range(4):
        msgs = []
        for i in range(CYCLES):
            kind = rng.choice(["synthetic", "physical", "all"])
            msgs.append([0, 100 * conn + i, "cleanup-cycle",
                         [{"cycle": i, "kind": kind,
                           "wait": rng.random() < 0.5}]])
        msgs.append([0, 100 * conn + 50, "clean",
                     [{"target": "eval", "dataset": "heat_64",
                       "confirm": True, "wait": True}]])
        msgs.append([0, 100 * conn + 51, "clean",
                     [{"target": "tensors", "dataset": "burgers_128",
                       "confirm": True}]])
        for i in range(8):
            msgs.append([0, 100 * conn + 60 + i, "disk-check",
                         [{"required_bytes": 1}]])
        msgs.append([0, 100 * conn + 53, "summary", []])
        rng.shuffle(msgs)
        per.append([msgpack.packb(m) for m in msgs])
    return per


def send_all(c, msgs, pace):
    """Send msgs a few at a time, until hycod goes away."""
    try:
        for i in range(0, len(msgs), 3):
            c.sendall(b"".join(msgs[i:i + 3]))
            if pace:
                time.sleep(pace)
    except OSError:
        pass


def one_round(h, outside, rnd, rng):
    targets = populate(h, outside)
    s = h.settle()
    keep = set(targets) | {os.path.join(h.cache, ".trash"),
                           os.path.join(h.cache, "hycod.sock")}
    before = digest(h.cache, skip=keep) + digest(outside)
    whole = {t: digest(t) for t in targets}
    socks = []
    pace = 0.0002 * (rnd % 3)
    for msgs in requests(rng):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(h.sock)
        socks.append((c, threading.Thread(target=send_all,
                                          args=(c, msgs, pace))))
    log_at = os.path.getsize(h.log)
    for _, t in socks:
        t.start()
    # Different timing every round: at once, among the renames, while
    # the trash deletes (a few ms a cycle), after everything.
    delay = [0, 0.0005, 0.002, 0.005, 0.01, 0.02, 0.05, 0.2][rnd % 8]
    time.sleep(delay * (0.5 + rng.random()))
    rc = h.stop()
    check(rc == 0, "round %d (%.1f ms): hycod exited %s; log %s" %
          (rnd, delay * 1e3, rc, h.log))
    for c, t in socks:
        t.join()
        c.close()
    with open(h.log) as f:
        f.seek(log_at)
        log = f.read().split("shutting down", 1)
    # Jobs that came back after SIGTERM: the window this test is for.
    late = log[1].count("cleanup-cycle: removed") if len(log) > 1 else 0
    check(digest(h.cache, skip=keep) + digest(outside) == before,
          "round %d: something that is not a target changed" % rnd)
    gone = 0
    for t in targets:
        if os.path.lexists(t):
            check(digest(t) == whole[t], "round %d: %s half-removed in "
                  "place" % (rnd, t))
        else:
            gone += 1
    h.start()
    s = h.settle()
    bad = churn.compare(s, churn.expected(h.cache))
    check(not bad, "round %d: after restart, summary differs from a walk: "
          "%s" % (rnd, bad))
    trash = os.path.join(h.cache, ".trash")
    check(os.listdir(trash) == [], "round %d: trash not emptied at start: "
          "%s" % (rnd, os.listdir(trash)[:5]))
    return gone, late


def main():
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    root = tempfile.mkdtemp(prefix="hyco-shutdown-", dir=base)
    outside = os.path.join(root, "outside")
    fill(outside, 20)
    h = Hycod(os.path.join(root, "d"))
    rounds = int(os.environ.get("SHUTDOWN_ROUNDS", "8"))
    rng = random.Random(11)
    taken, lates = [], []
    try:
        for rnd in range(rounds):
            gone, late = one_round(h, outside, rnd, rng)
            taken.append(gone)
            lates.append(late)
    finally:
        rc = h.stop()
        check(rc == 0, "final stop: hycod exited %s" % rc)
    # The rounds must have cut removals short, or the test proved little.
    check(any(0 < g < 2 * CYCLES + 2 for g in taken),
          "no round stopped hycod mid-removal: targets gone per round %s" %
          taken)
    print("shutdown: %d rounds; targets removed per round %s; removals "
          "back from the pool after SIGTERM %s" % (rounds, taken, lates))
    ok = check.summary()
    if not ok:
        print("shutdown: tree and logs kept in", root)
        sys.exit(1)
    if os.environ.get("SHUTDOWN_KEEP"):
        print("shutdown: kept", root)
        return
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
