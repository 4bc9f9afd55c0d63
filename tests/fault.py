#!/usr/bin/python3
"""fault.py: the error paths that need a fault, reached for real.

hycod-fault is hycod linked with tests/fault.c: statvfs, uv_queue_work
and calloc fail when this test says so, through a file it maps. Each
case makes one call fail, checks the wire code and message the client
gets and the summary's error count, then that the daemon goes on
serving the same request:
  - statvfs failing: summary and disk-check (on the loop, from the
    disk monitor, once every root of the cache root's filesystem fails
    and the figures are due: at most 100 ms old) and prune answer
    io_error naming statvfs;
  - uv_queue_work failing for a job: internal ("cannot queue work");
    disk-check and get-cycle-dir of a directory that is there still
    answer: they need no job;
    for the trash's deletion of a cleanup with wait: internal, the
    callback made later (the item stays in the trash, deleted at the
    next start);
  - calloc failing for a job: internal ("out of memory").
Needs $HYCOD_FAULT and $TOP (set by make check)."""
import mmap
import os
import shutil
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hytest import Checks  # noqa: E402
from removal import Hycod, fill  # noqa: E402

check = Checks("fault")
# The disk monitor samples a filesystem through any of its roots: to
# make it fail, every path it may try must fail.
STATVFS_ALL = 64
# DISK_SUMMARY_MAX_AGE_MS (daemon/disk.h): figures younger are not
# sampled again for summary or disk-check.
MAX_AGE_S = 0.1
# struct fault_ctl: {skip, fail, hits} for statvfs, uv_queue_work,
# calloc; then calloc_min. int32 each.
FIELDS = {"statvfs": 0, "queue_work": 12, "calloc": 24}
CALLOC_MIN = 36
SIZE = 40


class Faults:
    def __init__(self, path):
        with open(path, "wb") as f:
            f.write(b"\0" * SIZE)
        self.f = open(path, "r+b")
        self.m = mmap.mmap(self.f.fileno(), SIZE)

    def arm(self, what, fail=1, skip=0):
        struct.pack_into("ii", self.m, FIELDS[what], skip, fail)

    def hits(self, what):
        return struct.unpack_from("i", self.m, FIELDS[what] + 8)[0]

    def set_calloc_min(self, n):
        struct.pack_into("i", self.m, CALLOC_MIN, n)


def errors(h, code):
    err, s = h.call("summary")
    return s["errors"][code]


def refused(h, faults, what, code, needle, method, fail=1, **params):
    """method fails with code while what fails (its next fail calls);
    then works again."""
    before = errors(h, code)
    hits = faults.hits(what)
    if what == "statvfs":
        time.sleep(MAX_AGE_S + 0.05)    # the figures are due
    faults.arm(what, fail)
    err, r = h.call(method, **params)
    faults.arm(what, 0)
    check(hits < faults.hits(what) <= hits + fail,
          "%s: the %s fault was hit" % (method, what))
    check(err is not None and err["code"] == code and
          needle in err["message"], "%s with %s failing: %s (%r)" %
          (method, what, code, err))
    check(errors(h, code) == before + 1, "%s: errors.%s counted" %
          (method, code))
    err, r = h.call("ping")
    check(err is None and r["pid"] == h.proc.pid, "still serving: %r" %
          (err,))
    err, r = h.call(method, **params)
    check(err is None, "%s works again: %r" % (method, err))


def main():
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    root = tempfile.mkdtemp(prefix="hyco-fault-", dir=base)
    faults = Faults(os.path.join(root, "faults"))
    os.environ["HYCO_FAULT"] = os.path.join(root, "faults")
    os.environ["HYCOD"] = os.environ["HYCOD_FAULT"]
    h = Hycod(os.path.join(root, "d"), ["retention.check_interval_s=3600"])
    try:
        h.settle()
        # The disk monitor samples through any root of a filesystem:
        # summary's disk figures fail when every path to it fails.
        refused(h, faults, "statvfs", "io_error", "statvfs", "summary",
                fail=STATVFS_ALL)
        refused(h, faults, "statvfs", "io_error", "statvfs", "disk-check",
                fail=STATVFS_ALL, required_bytes=1)
        # prune's watermarks need the cache root's filesystem: every
        # path to it failing is io_error.
        refused(h, faults, "statvfs", "io_error", "statvfs", "prune",
                fail=STATVFS_ALL, dry_run=True)
        refused(h, faults, "queue_work", "internal", "cannot queue work",
                "get-cycle-dir", kind="synthetic", cycle=1)
        # No job for these: the pool may refuse work, they still answer.
        h.settle()
        for method, params in (("disk-check", {"required_bytes": 1}),
                               ("get-cycle-dir", {"kind": "synthetic",
                                                  "cycle": 1})):
            hits = faults.hits("queue_work")
            faults.arm("queue_work", 1)
            err, r = h.call(method, **params)
            faults.arm("queue_work", 0)
            check(err is None and faults.hits("queue_work") == hits,
                  "%s with uv_queue_work failing: answered on the loop "
                  "(%r)" % (method, err))
        faults.set_calloc_min(8192)     # a job; nothing else that large
        refused(h, faults, "calloc", "internal", "out of memory",
                "get-cycle-dir", kind="synthetic", cycle=2)

        # The job runs; the trash cannot queue its deletion: the reply
        # waits for it all the same and says internal, from a callback
        # made later, never inside trash_put.
        cyc = os.path.join(h.cache, "generated", "physical_preds",
                           "cycle_005")
        fill(os.path.join(cyc, "d"), 50)
        h.settle()
        before = errors(h, "internal")
        hits = faults.hits("queue_work")
        faults.arm("queue_work", fail=1, skip=1)
        err, r = h.call("cleanup-cycle", cycle=5, wait=True)
        check(faults.hits("queue_work") == hits + 1, "the trash's "
              "queue_work fault was hit")
        check(err is not None and err["code"] == "internal" and
              "Cannot allocate memory" in err["message"],
              "cleanup-cycle, trash deletion not queued: internal (%r)" %
              (err,))
        check(not os.path.exists(cyc), "the cycle is out of the tree")
        check(errors(h, "internal") == before + 1, "errors.internal counted")
        err, s = h.call("summary")
        check(s["trash_items"] == 0 and len(os.listdir(os.path.join(
            h.cache, ".trash"))) == 1, "left in the trash for the next "
            "start, not counted as waiting: %d" % s["trash_items"])
        check(h.call("ping")[0] is None, "still serving")
        check(h.stop() == 0, "clean exit after the faults")
        h.start()
        s = h.settle()
        check(os.listdir(os.path.join(h.cache, ".trash")) == [],
              "the next start empties the trash")
    finally:
        check(h.stop() == 0, "clean exit on SIGTERM")
    ok = check.summary()
    if not ok:
        print("fault: logs kept in", root)
        sys.exit(1)
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
