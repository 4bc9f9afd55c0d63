#!/usr/bin/python3
"""removal.py: removals must not escape, must not block, and must survive
a SIGKILL half-way. Against the real hycod; needs $HYCOD and $TOP.

  - a symlink inside a cycle to a directory outside: only the link goes
  - a cycle directory swapped for a symlink: only the link goes
  - another filesystem mounted inside a cycle (root only): left intact
  - dataset and cycle arguments that try to climb out: refused
  - a re-used cycle number gets a fresh, empty directory
  - SIGKILL at random points of a large removal, many seeds: after a
    restart the tree and the tallies are exact and the trash is empty
After each, a checksum of everything outside the target is unchanged.
"""
import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import churn  # noqa: E402  (the independent walk)
from hytest import Checks, mount_tmpfs  # noqa: E402

check = Checks("removal")


class Hycod:
    def __init__(self, root, overrides=(), log=None):
        self.root = root
        self.overrides = list(overrides)
        self.log = log or os.path.join(root, "hycod.log")
        os.makedirs(root, exist_ok=True)
        self.cache = os.path.join(root, "cache")
        self.sock = os.path.join(self.cache, "hycod.sock")
        self.start()

    def start(self):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.proc = subprocess.Popen(
            [os.environ["HYCOD"], "-c",
             os.path.join(os.environ["TOP"], "conf/config.yaml"),
             "paths.cache_root=" + self.cache] + self.overrides,
            stderr=open(self.log, "a"))
        deadline = time.time() + 30
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None or time.time() > deadline:
                sys.exit("removal: hycod did not start")
            time.sleep(0.01)
        # The socket serves during the start-up scan; a plain summary
        # waits for it, so tests start from a tree hycod has read (and
        # the policy pass it runs then is over before they write).
        self.call("summary")
        self.settle()

    def call(self, method, **params):
        """(error, result) of one request on a fresh connection."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(self.sock)
        s.sendall(msgpack.packb([0, 1, method, [params] if params else []]))
        u = msgpack.Unpacker(raw=False)
        while True:
            data = s.recv(1 << 20)
            if not data:
                return ({"code": "closed"}, None)
            u.feed(data)
            for m in u:
                s.close()
                return (m[2], m[3])

    def settle(self):
        """Wait until exact with nothing left in the trash."""
        deadline = time.time() + 60
        while time.time() < deadline:
            err, s = self.call("summary")
            if s["exact"] and s["trash_items"] == 0 and not s["pruning"]:
                return s
            time.sleep(0.02)
        return s

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.terminate()
        return self.proc.wait(30)


def checksum(*roots, skip=None):
    """Names, types, sizes and contents of everything under roots."""
    h = hashlib.sha256()
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            if skip and os.path.commonpath([dirpath, skip]) == skip:
                continue
            for n in sorted(filenames + dirnames):
                p = os.path.join(dirpath, n)
                if skip and p == skip:
                    continue
                st = os.lstat(p)
                h.update(p.encode() + b"\0" + oct(st.st_mode).encode())
                if os.path.islink(p):
                    h.update(os.readlink(p).encode())
                elif n.endswith(".hycod.lock"):
                    pass    # hycod's own: says which pid holds the tree
                elif os.path.isfile(p):
                    h.update(open(p, "rb").read())
    return h.hexdigest()


def fill(d, n, size=100):
    os.makedirs(d, exist_ok=True)
    for i in range(n):
        with open(os.path.join(d, "f%06d.pt" % i), "wb") as f:
            f.write(b"p" * (size + i % 7))


def tree_matches(h, what):
    s = h.settle()
    bad = churn.compare(s, churn.expected(h.cache))
    check(not bad, "%s: summary differs from a walk: %s" % (what, bad))
    trash = os.path.join(h.cache, ".trash")
    check(os.listdir(trash) == [], "%s: trash not empty: %s" %
          (what, os.listdir(trash)[:5]))


def test_escapes(h, outside):
    pred = os.path.join(h.cache, "generated", "synthetic_preds")
    fill(os.path.join(outside, "precious"), 20)
    fill(os.path.join(h.cache, "tensors", "burgers_128"), 10)
    keep = lambda: checksum(outside, os.path.join(h.cache, "tensors"))  # noqa

    # A symlink inside the cycle to a directory outside.
    c1 = os.path.join(pred, "cycle_001", "burgers_128")
    fill(c1, 5)
    os.symlink(os.path.join(outside, "precious"), os.path.join(c1, "link"))
    before = keep()
    err, r = h.call("cleanup-cycle", cycle=1, wait=True)
    check(err is None and not os.path.lexists(os.path.dirname(c1)),
          "symlink inside: cycle removed (%r)" % (err,))
    check(keep() == before, "symlink inside: outside data changed")

    # The cycle directory itself swapped for a symlink to outside.
    os.symlink(os.path.join(outside, "precious"),
               os.path.join(pred, "cycle_002"))
    before = keep()
    err, r = h.call("cleanup-cycle", cycle=2, wait=True)
    check(err is None and not os.path.lexists(os.path.join(pred, "cycle_002")),
          "swapped for a symlink: the link is gone (%r)" % (err,))
    check(keep() == before, "swapped for a symlink: outside data changed")

    # Arguments that try to climb out are refused, nothing moves.
    before = keep()
    for args in ({"kind": "synthetic", "cycle": 1, "dataset": "../../x"},
                 {"kind": "synthetic", "cycle": 1, "dataset": "a/b"},
                 {"kind": "synthetic", "cycle": 1, "dataset": ".."},
                 {"kind": "synthetic", "cycle": -1},
                 {"kind": "../synthetic", "cycle": 1}):
        err, r = h.call("get-cycle-dir", **args)
        check(err and err["code"] == "invalid_argument",
              "refused: %r -> %r" % (args, err))
    for args in ({"cycle": "1/.."}, {"cycle": -3}, {"cycle": 1, "kind": "x"}):
        err, r = h.call("cleanup-cycle", **args)
        check(err and err["code"] == "invalid_argument",
              "refused: %r -> %r" % (args, err))
    for args in ({"target": "tensors"}, {"target": "all", "confirm": False},
                 {"target": "tensors", "confirm": True, "dataset": "../x"},
                 {"target": "tensors", "confirm": True, "dataset": ".."},
                 {"target": "..", "confirm": True},
                 {"target": "tensors", "confirm": "yes"}):
        err, r = h.call("clean", **args)
        check(err and err["code"] == "invalid_argument",
              "clean refused: %r -> %r" % (args, err))
    check(keep() == before, "refused arguments changed data")

    # Another filesystem mounted inside a cycle: left intact.
    c3 = os.path.join(pred, "cycle_003", "burgers_128")
    mnt = os.path.join(c3, "mnt")
    os.makedirs(mnt)
    if mount_tmpfs("removal", "a filesystem mounted inside a cycle", mnt,
                   "size=1m"):
        fill(mnt, 3)
        mounted = checksum(mnt)
        err, r = h.call("cleanup-cycle", cycle=3, wait=True)
        check(err is not None and err["code"] == "io_error",
              "mount inside: reported as io_error (%r)" % (err,))
        # It went to the trash with its mount, and is intact there.
        where = [ln.split()[1] for ln in open("/proc/self/mounts")
                 if ln.split()[1].startswith(h.root + "/")]
        check(len(where) == 1 and checksum(where[0]).replace(
            where[0], "") == mounted.replace(mnt, "") or
            (len(where) == 1 and sorted(os.listdir(where[0])) ==
             ["f000000.pt", "f000001.pt", "f000002.pt"] and
             open(os.path.join(where[0], "f000001.pt"), "rb").read() ==
             b"p" * 101), "mount inside: its files survive (%r)" % (where,))
        for w in where:
            subprocess.run(["umount", w])
        # The next start (or the next item) empties what is left.
        h.stop()
        h.start()
    else:
        shutil.rmtree(os.path.join(pred, "cycle_003"))

    # A re-used cycle number gets a fresh, empty directory.
    err, r = h.call("get-cycle-dir", kind="synthetic", cycle=4)
    fill(r["path"], 3)
    err, r = h.call("cleanup-cycle", cycle=4)
    check(err is None and r["freed_bytes"] > 0, "cleanup of cycle 4: %r" % (r,))
    err, r = h.call("get-cycle-dir", kind="synthetic", cycle=4)
    check(r["created"] and os.listdir(r["path"]) == [],
          "re-used cycle: fresh and empty (%r)" % (r,))
    tree_matches(h, "escapes")


def test_sigkill(h, seeds, files):
    pred = os.path.join(h.cache, "generated", "physical_preds")
    for seed in seeds:
        rng = random.Random(seed)
        target = os.path.join(pred, "cycle_010")
        fill(os.path.join(target, "burgers_128"), files)
        fill(os.path.join(target, "other", "deep"), files // 10)
        h.settle()
        before = checksum(h.cache, skip=target)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(h.sock)
        s.sendall(msgpack.packb([0, 1, "cleanup-cycle",
                                 [{"cycle": 10, "wait": True}]]))
        if seed % 2 == 0:
            # Mid-deletion: once the rename is done, within 20 ms.
            while os.path.lexists(target):
                time.sleep(0.0005)
            time.sleep(rng.random() * 0.02)
        else:
            time.sleep(rng.random() * 0.08)     # anywhere
        h.kill()
        s.close()
        h.start()
        tree_matches(h, "SIGKILL seed %d" % seed)
        check(checksum(h.cache, skip=target) == before,
              "SIGKILL seed %d: data outside the cycle changed" % seed)
        if os.path.lexists(target):     # killed before the rename
            err, r = h.call("cleanup-cycle", cycle=10, wait=True)
            check(err is None, "cleanup after restart: %r" % (err,))
    log = open(h.log).read()
    check("left in" in log, "SIGKILL: no run was killed with trash left "
          "(the resume path went untested)")


def test_other_filesystem(root):
    """A prediction root on another filesystem gets its own trash."""
    mnt = os.path.join(root, "otherfs")
    os.makedirs(mnt)
    if not mount_tmpfs("removal", "a prediction root on another "
                       "filesystem", mnt, "size=16m"):
        return
    preds = os.path.join(mnt, "preds")
    h = Hycod(os.path.join(root, "r2"), overrides=[
        "trainer.synthetic_pred_cache=" + preds])
    try:
        cyc = os.path.join(preds, "cycle_001")
        fill(os.path.join(cyc, "burgers_128"), 50)
        s = h.settle()
        check(s["generated"] > 0, "other fs: counted as generated")
        err, r = h.call("cleanup-cycle", cycle=1, kind="synthetic",
                        wait=True)
        trash = os.path.join(mnt, ".hyco-trash")
        check(err is None and r["removed"] == [cyc] and
              not os.path.exists(cyc) and os.path.isdir(trash) and
              os.listdir(trash) == [],
              "other fs: renamed into %s, then deleted (%r)" % (trash, err))
        s = h.settle()
        check(s["generated"] == 0 and s["exact"], "other fs: tallies")
    finally:
        h.stop()
        subprocess.run(["umount", mnt])


def main():
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    root = tempfile.mkdtemp(prefix="hyco-removal-", dir=base)
    outside = os.path.join(root, "outside")
    h = Hycod(root)
    try:
        test_escapes(h, outside)
        test_sigkill(h, range(int(os.environ.get("REMOVAL_SEEDS", "6"))),
                     int(os.environ.get("REMOVAL_FILES", "20000")))
        test_other_filesystem(root)
    finally:
        rc = h.stop()
        check(rc == 0, "hycod exited %s" % rc)
    ok = check.summary()
    if not ok:
        print("removal: tree and log kept in", root)
        sys.exit(1)
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
