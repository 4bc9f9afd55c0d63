#!/usr/bin/python3
"""policy.py: retention and free-space watermarks on a small tmpfs (64 MB,
mounted here: needs root). Passes are triggered with the prune method, so
what each one removes is deterministic:

  - below prune_below, generated cycles go oldest first until
    prune_until is free, and no further
  - leased cycles (a connection's latest get-cycle-dir) and cycles asked
    for within protect_recent_s are kept, and pruned once that ends
  - tensors are never touched (not in retention.prunable)
  - prune dry_run says what would go and why, and removes nothing
  - below refuse_below a new cycle directory is refused (no_space)
  - keep_last_cycles keeps the newest N cycles of a kind
  - a prediction root on a second tmpfs is pruned, and refused, for its
    own free space; the cache root's filesystem is left alone
Needs $HYCOD and $TOP.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from removal import Hycod, checksum  # noqa: E402
from hytest import Checks, mount_tmpfs, write  # noqa: E402

MB = 1 << 20
T_BIN = 8 * MB - 64 * 1024
check = Checks("policy")


class Conn:
    """One connection kept open: its leases last as long as it does."""

    def __init__(self, h):
        import socket
        import msgpack
        self.msgpack = msgpack
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(h.sock)
        self.u = msgpack.Unpacker(raw=False)

    def call(self, method, **params):
        self.s.sendall(self.msgpack.packb([0, 1, method, [params]]))
        while True:
            for m in self.u:
                return m[2], m[3]
            self.u.feed(self.s.recv(1 << 20))

    def close(self):
        self.s.close()


def cycle_dir(h, c):
    return os.path.join(h.cache, "generated", "synthetic_preds",
                        "cycle_%03d" % c)


def fill_cycle(h, c, size=4 * MB):
    write(os.path.join(cycle_dir(h, c), "burgers_128", "pred.bin"), size)


def present(h, cycles):
    return [c for c in cycles if os.path.exists(cycle_dir(h, c))]


def settle(h):
    return h.settle()


def free_pct(path):
    st = os.statvfs(path)
    return 100.0 * st.f_bavail / st.f_blocks


def test_second_fs(root):
    """Physical predictions on a 16 MB tmpfs of their own, the rest on
    a 64 MB one: each filesystem's watermarks on its own figures."""
    mnt, mnt2 = os.path.join(root, "fs"), os.path.join(root, "fs2")
    os.makedirs(mnt2, exist_ok=True)
    for m, size in ((mnt, "64m"), (mnt2, "16m")):
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size,
                        "none", m], check=True)
    h = None
    try:
        phys = os.path.join(mnt2, "physical")
        h = Hycod(mnt, log=os.path.join(root, "hycod-second.log"),
                  overrides=[
            "retention.prune_below=30%", "retention.prune_until=50%",
            "retention.refuse_below=10%", "retention.protect_recent_s=0",
            "retention.check_interval_s=1000",
            "retention.prune_below_inodes=0",
            "retention.prune_until_inodes=0",
            "retention.refuse_below_inodes=0",
            "trainer.physical_pred_cache=" + phys])
        pdir = lambda c: os.path.join(phys, "cycle_%03d" % c)  # noqa: E731
        for c in range(4):      # old, but their filesystem has room
            fill_cycle(h, c, 1 * MB)
        for c in range(10, 16):
            write(os.path.join(pdir(c), "burgers_128", "p.bin"), 2 * MB)
        settle(h)
        check(free_pct(mnt2) < 30 and free_pct(mnt) > 90,
              "second fs: below on its own: %.1f%% (cache root's %.1f%%)" %
              (free_pct(mnt2), free_pct(mnt)))
        st = os.statvfs(mnt2)
        n = -(-(st.f_blocks // 2 - st.f_bavail) * st.f_frsize // (2 * MB))
        err, r = h.call("prune", dry_run=True)
        remove = sorted(i["path"] for i in r["items"] if i["remove"])
        check(err is None and n >= 2 and
              remove == [pdir(c) for c in range(10, 10 + n)] and
              all(mnt2 in i["why"] for i in r["items"]),
              "second fs: its oldest cycles, just enough (%d), said why: "
              "%r" % (n, r["items"] if r else err))
        h.call("prune")
        settle(h)
        check([c for c in range(10, 16) if os.path.exists(pdir(c))] ==
              list(range(10 + n, 16)) and present(h, range(4)) ==
              list(range(4)), "second fs: pruned there only: %r, %r" %
              (os.listdir(phys), present(h, range(4))))
        check(49 <= free_pct(mnt2) < 70, "second fs: back to prune_until: "
              "%.1f%%" % free_pct(mnt2))
        # Below refuse_below there: physical refused, synthetic given.
        st = os.statvfs(mnt2)
        write(os.path.join(mnt2, "big.bin"),
              st.f_bavail * st.f_frsize - 1 * MB)
        err, r = h.call("get-cycle-dir", kind="physical", cycle=50)
        check(err is not None and err["code"] == "no_space" and
              mnt2 in err["message"] and not os.path.exists(pdir(50)),
              "second fs: refused below its refuse_below: %r" % (err,))
        err, r = h.call("get-cycle-dir", kind="synthetic", cycle=50)
        check(err is None, "second fs: the other filesystem's kind is "
              "given: %r" % (err,))
    finally:
        if h is not None:
            h.stop()
        for m in (mnt2, mnt):
            subprocess.run(["umount", m], stderr=subprocess.DEVNULL)


def main():
    root = tempfile.mkdtemp(prefix="hyco-policy-", dir="/tmp")
    mnt = os.path.join(root, "fs")
    os.makedirs(mnt)
    if not mount_tmpfs("policy", "every case (watermarks on a 64 MB "
                       "filesystem)", mnt, "size=64m"):
        shutil.rmtree(root)
        return
    h = None
    try:
        log = os.path.join(root, "hycod.log")
        h = Hycod(mnt, log=log, overrides=[
            "retention.prune_below=30%", "retention.prune_until=50%",
            "retention.refuse_below=10%", "retention.protect_recent_s=1.5",
            "retention.check_interval_s=1000",
            "retention.prune_below_inodes=0",
            "retention.prune_until_inodes=0",
            "retention.refuse_below_inodes=0"])
        a, b = Conn(h), Conn(h)
        check(a.call("get-cycle-dir", kind="synthetic", cycle=0)[0] is None,
              "lease 0")
        b.call("get-cycle-dir", kind="synthetic", cycle=1)
        b.call("get-cycle-dir", kind="synthetic", cycle=2)  # 1: recent
        # Each get-cycle-dir asks for a pass within 20 ms: let it run
        # now, with room to spare, not in the middle of the writes below.
        settle(h)
        # 64 KB short of 8 MB: room for hycod's own files (its lock
        # file takes a page), so free space moves in whole 4 MB cycles.
        write(os.path.join(h.cache, "tensors", "burgers_128", "t.bin"),
              T_BIN)
        for c in range(10):
            fill_cycle(h, c)
        settle(h)
        check(free_pct(mnt) < 30, "below prune_below: %.1f%%" % free_pct(mnt))

        # Just enough 4 MB cycles to reach prune_until (50%), oldest first.
        st = os.statvfs(mnt)
        n1 = -(-(st.f_blocks // 2 - st.f_bavail) * st.f_frsize // (4 * MB))
        gone1 = list(range(3, 3 + n1))
        err, r = h.call("prune", dry_run=True)
        remove = sorted(i["path"] for i in r["items"] if i["remove"])
        kept = {i["path"]: i["why"] for i in r["items"] if not i["remove"]}
        check(err is None and n1 >= 3 and
              remove == [cycle_dir(h, c) for c in gone1],
              "dry run: oldest unprotected first, just enough (%d): %r" %
              (n1, remove))
        check("leased" in kept.get(cycle_dir(h, 0), "") and
              "leased" in kept.get(cycle_dir(h, 2), "") and
              "protect_recent_s" in kept.get(cycle_dir(h, 1), ""),
              "dry run: says why 0, 1, 2 stay: %r" % kept)
        check(present(h, range(10)) == list(range(10)),
              "dry run removed nothing")

        h.call("prune")
        s = settle(h)
        left = [c for c in range(10) if c not in gone1]
        check(present(h, range(10)) == left,
              "pruned %r only: %r" % (gone1, present(h, range(10))))
        check(free_pct(mnt) >= 49, "stopped at prune_until: %.1f%% free" %
              free_pct(mnt))
        check(s["pruned_cycles"] == n1 and s["pruned_bytes"] == n1 * 4 * MB,
              "counted: %d cycles, %d bytes" % (s["pruned_cycles"],
                                                 s["pruned_bytes"]))

        # Protection over: cycle 1 goes first; leases still hold 0 and 2.
        time.sleep(1.6)
        write(os.path.join(h.cache, "tensors", "burgers_128", "u.bin"),
              8 * MB)
        fill_cycle(h, 10)
        fill_cycle(h, 11)
        settle(h)
        st = os.statvfs(mnt)
        n2 = -(-(st.f_blocks // 2 - st.f_bavail) * st.f_frsize // (4 * MB))
        order = [1] + [c for c in left if c > 2] + [10, 11]
        want = [0, 2] + sorted(order[n2:])
        h.call("prune")
        settle(h)
        check(present(h, range(12)) == sorted(want),
              "protection ended: 1 first, leases kept: %r, want %r" %
              (present(h, range(12)), sorted(want)))

        # A's connection closes: its lease on 0 ends.
        a.close()
        time.sleep(0.1)
        write(os.path.join(h.cache, "tensors", "burgers_128", "v.bin"),
              8 * MB)
        fill_cycle(h, 12, 8 * MB)
        settle(h)
        check(free_pct(mnt) < 30, "below again: %.1f%%" % free_pct(mnt))
        h.call("prune")
        settle(h)
        check(0 not in present(h, range(13)) and 2 in present(h, range(13)),
              "lease ended: 0 pruned, 2 kept: %r" % present(h, range(13)))
        t = os.path.join(h.cache, "tensors", "burgers_128")
        check(sorted(os.listdir(t)) == ["t.bin", "u.bin", "v.bin"] and
              all(open(os.path.join(t, f), "rb").read() == b"g" * n
                  for f, n in (("t.bin", T_BIN), ("u.bin", 8 * MB),
                               ("v.bin", 8 * MB))),
              "tensors untouched, byte for byte (not prunable)")

        # Below refuse_below: new cycle directories are refused.
        big = os.path.join(h.cache, "tensors", "burgers_128", "big.bin")
        st = os.statvfs(mnt)
        write(big, max(0, st.f_bavail * st.f_frsize - 3 * MB))
        settle(h)
        err, r = b.call("get-cycle-dir", kind="synthetic", cycle=50)
        check(err is not None and err["code"] == "no_space" and
              not os.path.exists(cycle_dir(h, 50)),
              "refuse_below: new cycle refused: %r" % (err,))
        err, r = b.call("get-cycle-dir", kind="synthetic", cycle=2)
        check(err is None, "refuse_below: an existing cycle is still given")
        s = settle(h)
        check(s["refused"] >= 1, "refusals counted")
        os.unlink(big)
        # An explicit cleanup of a leased cycle proceeds, and says so.
        err, r = h.call("cleanup-cycle", cycle=2, kind="synthetic")
        check(err is None and r["leased"] is True and
              not os.path.exists(cycle_dir(h, 2)),
              "cleanup of a leased cycle: done, leased true: %r" % (r,))
        err, r = h.call("cleanup-cycle", cycle=9, kind="synthetic")
        check(err is None and r["leased"] is False, "unleased: %r" % (r,))
        b.close()
        h.stop()

        # keep_last_cycles: the newest two of a kind stay.
        log = os.path.join(root, "hycod.log")
        h = Hycod(mnt, log=log, overrides=["retention.keep_last_cycles=2",
                                  "retention.protect_recent_s=0",
                                  "retention.check_interval_s=1000"])
        for c in (20, 21, 22, 23):
            os.makedirs(os.path.join(cycle_dir(h, c), "burgers_128"),
                        exist_ok=True)
        settle(h)
        err, r = h.call("get-cycle-dir", kind="synthetic", cycle=24)
        s = settle(h)
        kept = present(h, range(0, 30))
        check(kept == [23, 24], "keep_last_cycles=2: %r" % kept)
        h.stop()
        h = None
        subprocess.run(["umount", mnt])

        # Inodes: many small files, plenty of bytes.
        subprocess.run(["mount", "-t", "tmpfs", "-o",
                        "size=64m,nr_inodes=2000", "none", mnt], check=True)
        h = Hycod(mnt, log=log, overrides=[
            "retention.prune_below=0", "retention.prune_until=0",
            "retention.refuse_below=0", "retention.protect_recent_s=0",
            "retention.prune_below_inodes=30%",
            "retention.prune_until_inodes=50%",
            "retention.check_interval_s=1000"])
        for c in range(8):
            d = os.path.join(cycle_dir(h, c), "burgers_128")
            os.makedirs(d)
            for i in range(180):
                open(os.path.join(d, "p%d" % i), "w").close()
        settle(h)
        st = os.statvfs(mnt)
        check(st.f_favail < 0.3 * st.f_files, "below on inodes: %d of %d" %
              (st.f_favail, st.f_files))
        h.call("prune")
        settle(h)
        st = os.statvfs(mnt)
        gone = [c for c in range(8) if c not in present(h, range(8))]
        check(st.f_favail >= 0.5 * st.f_files - 1 and
              gone == list(range(len(gone))) and
              st.f_favail - 182 < 0.5 * st.f_files,
              "inodes: oldest pruned until prune_until_inodes, no further: "
              "gone %r, %d of %d free" % (gone, st.f_favail, st.f_files))
        h.stop()
        h = None
        subprocess.run(["umount", mnt])

        # Prunable tensors: least recently used dataset first, and a pass
        # that can free nothing backs off instead of running again.
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "none",
                        mnt], check=True)
        cache = os.path.join(mnt, "cache")
        now = time.time()
        for i, ds in enumerate(["ds_old", "ds_mid", "ds_new"]):
            f = os.path.join(cache, "tensors", ds, "t.bin")
            write(f, 14 * MB)
            os.utime(f, (now - 3600 * (3 - i), now - 3600 * (3 - i)))
        h = Hycod(mnt, log=log, overrides=[
            "retention.prune_below=40%", "retention.prune_until=50%",
            "retention.prunable=generated,tensors",
            "retention.protect_recent_s=0",
            "retention.check_interval_s=1000"])
        settle(h)
        err, r = h.call("prune")
        settle(h)
        left = sorted(os.listdir(os.path.join(cache, "tensors")))
        check(left == ["burgers_128", "ds_mid", "ds_new"],
              "prunable tensors: least recently used first: %r" % left)
        h.stop()
        # Everything protected, checked every 0.1 s: passes back off.
        h = Hycod(mnt, log=log, overrides=[
            "retention.prune_below=90%", "retention.prune_until=95%",
            "retention.protect_recent_s=1000",
            "retention.check_interval_s=0.1"])
        c = Conn(h)
        err, r = c.call("get-cycle-dir", kind="synthetic", cycle=1)
        write(os.path.join(r["path"], "p.bin"), 12 * MB)
        time.sleep(3)
        s = settle(h)
        check(1 <= s["idle_passes"] <= 3 and
              os.path.exists(cycle_dir(h, 1)),
              "nothing to free: %d idle passes in 3 s (backing off from "
              "1 s)" % s["idle_passes"])
        c.close()
    finally:
        if h is not None:
            h.stop()
        subprocess.run(["umount", mnt], stderr=subprocess.DEVNULL)
    test_second_fs(root)
    ok = check.summary()
    if not ok:
        print("policy: log kept in", root)
        sys.exit(1)
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
