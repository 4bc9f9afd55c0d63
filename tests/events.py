#!/usr/bin/python3
"""events.py: live events from a real hycod, each made to happen:

  - subscribe's arguments checked; a subscriber gets only its types, in
    order, after its subscribe reply; unsubscribe stops them; a
    subscriber may still make calls
  - cycle_created (get-cycle-dir), cycle_removed by request
    (cleanup-cycle, cleanup-generated), by keep_last_cycles and by the
    free-space policy, prune passes, exact_lost and exact_regained (an
    inotify overflow forced while hycod is stopped), shutdown on SIGTERM
  - every event carries exactly the fields protocol/PROTOCOL.md lists
  - two subscribers that never read are dropped (counted, told when it
    fits, closed: at once when written, else after the grace) while
    other clients are answered all along
alert and reload are packed by the same code (tests/test_events.c);
nothing here can make them happen yet. Needs $HYCOD and $TOP."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hytest import Checks, Conn as RawConn, write  # noqa: E402
from removal import Hycod  # noqa: E402
from wire import mismatch  # noqa: E402

check = Checks("events")

# The fields of each event type (PROTOCOL.md, "Events"), type and time
# aside.
FIELDS = {
    "cycle_created": {"kind": str, "cycle": int, "dataset": str, "path": str},
    "cycle_removed": {"kind": str, "cycle": int, "path": str, "bytes": int,
                      "why": str},
    "prune": {"items": int, "bytes": int, "cycles": int, "datasets": int},
    "exact_lost": {"why": str},
    "exact_regained": {"why": str, "lost_s": float},
    "shutdown": {"signal": str},
    "dropped": {"queued_bytes": int, "max_queued_bytes": int},
}
TYPES = ["alert", "cycle_created", "cycle_removed", "prune", "exact_lost",
         "exact_regained", "reload", "shutdown"]


def well_formed(ev, t0):
    """The event has its type's fields exactly, and a time since t0."""
    spec = dict(FIELDS.get(ev.get("type"), {}), type=str, time=float)
    bad = mismatch(ev, spec, ev.get("type", "event"))
    check(bad is None, bad)
    check(t0 - 1 <= ev.get("time", 0) <= time.time() + 1,
          "%s: time %r is now" % (ev.get("type"), ev.get("time")))


class Conn(RawConn):
    """A connection that may be a subscriber: replies to its calls, and
    the events that came before each, in order."""

    def __init__(self, path):
        super().__init__(path, timeout=30)
        # File names need not be UTF-8: keep their bytes as surrogates.
        self.u = msgpack.Unpacker(raw=False, unicode_errors="surrogateescape")
        self.events = []
        self.msgid = 0

    def call(self, method, **params):
        """(error, result); events before the reply go to self.events."""
        self.msgid += 1
        self.s.sendall(msgpack.packb([0, self.msgid, method,
                                      [params] if params else []]))
        while True:
            m = self.next()
            if m is None:
                return ({"code": "closed"}, None)
            if m[0] == 2:
                if m[1] != "event" or len(m[2]) != 1:
                    check(False, "a notification is [2, \"event\", "
                          "[map]]: %r" % (m,))
                self.events.append(m[2][0])
                continue
            if m[1] != self.msgid:
                check(False, "reply to %d: %r" % (self.msgid, m))
            return m[2], m[3]

    def event(self, timeout=30):
        """The next event (kept ones first), or None at EOF or timeout."""
        if self.events:
            return self.events.pop(0)
        self.s.settimeout(timeout)
        try:
            m = self.next()
        except socket.timeout:
            return None
        finally:
            self.s.settimeout(30)
        if m is None:
            return None
        if m[0] != 2 or m[1] != "event":
            check(False, "an event: %r" % (m,))
        return m[2][0]

    def wait_for(self, type_, timeout=30):
        """Events up to and including the first of type_ (None: none)."""
        seen = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            ev = self.event(max(0.1, deadline - time.time()))
            if ev is None:
                break
            seen.append(ev)
            if ev["type"] == type_:
                return ev, seen
        return None, seen

    def sync(self):
        """Every event emitted so far: a ping's reply comes after them."""
        self.call("ping")
        out, self.events = self.events, []
        return out


def cycle_bytes(h, kind, cycle):
    err, s = h.call("summary")
    return sum(c["bytes"] for c in s["cycles"]
               if c["kind"] == kind and c["cycle"] == cycle)


def wait(pred, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return check(True, what)
        time.sleep(0.02)
    return check(pred(), what)


def test_subscribe_args(h):
    c = Conn(h.sock)
    for bad in (["nope"], [], "prune", ["dropped"], [1], ["prune"] * 33):
        err, r = c.call("subscribe", events=bad)
        check(err is not None and err["code"] == "invalid_argument",
              "subscribe events=%r: invalid_argument, got %r" % (bad, err))
    err, r = c.call("subscribe", other=1)
    check(err is not None and err["code"] == "invalid_argument",
          "subscribe with an unknown argument: %r" % (err,))
    err, r = c.call("subscribe")
    check(err is None and r["events"] == TYPES and
          r["max_queued_bytes"] == 1048576,
          "subscribe: every type by default: %r" % (r,))
    err, r = c.call("subscribe", events=["prune", "cycle_created", "prune"])
    check(err is None and r["events"] == ["cycle_created", "prune"],
          "subscribe again: the set replaced: %r" % (r,))
    c.close()


def test_request_events(h):
    """Created and removed by request, filtered, unsubscribed, in order."""
    t0 = time.time()
    sub = Conn(h.sock)
    only = Conn(h.sock)
    c = Conn(h.sock)
    check(sub.call("subscribe")[0] is None, "subscribe")
    err, r = only.call("subscribe", events=["cycle_created"])
    check(err is None and r["events"] == ["cycle_created"],
          "subscribe to one type: %r" % (r,))
    err, r = c.call("get-cycle-dir", kind="synthetic", cycle=3,
                    dataset="ds1")
    ev = sub.event()
    check(ev is not None and ev["type"] == "cycle_created" and
          ev["kind"] == "synthetic" and ev["cycle"] == 3 and
          ev["dataset"] == "ds1" and ev["path"] == r["path"],
          "cycle_created for %r: %r" % (r, ev))
    well_formed(ev, t0)
    # A hit creates nothing and says nothing.
    err, r2 = c.call("get-cycle-dir", kind="synthetic", cycle=3,
                     dataset="ds1")
    check(r2["created"] is False and sub.sync() == [],
          "no event for a directory that existed")
    write(os.path.join(r["path"], "p.bin"), 1234)
    wait(lambda: cycle_bytes(h, "synthetic", 3) == 1234, "cycle 3 indexed")
    err, cl = c.call("cleanup-cycle", cycle=3)
    ev = sub.event()
    check(ev is not None and ev["type"] == "cycle_removed" and
          ev["why"] == "request" and ev["bytes"] == 1234 and
          ev["kind"] == "synthetic" and ev["cycle"] == 3 and
          [ev["path"]] == cl["removed"],
          "cycle_removed by request: %r (reply %r)" % (ev, cl))
    well_formed(ev, t0)
    # cleanup-generated: every cycle it took, each with its bytes.
    paths = {}
    for kind, cycle, n in (("synthetic", 5, 100), ("physical", 6, 200)):
        err, r = c.call("get-cycle-dir", kind=kind, cycle=cycle)
        write(os.path.join(r["path"], "p.bin"), n)
        paths[(kind, cycle)] = (os.path.dirname(r["path"]), n)
    wait(lambda: cycle_bytes(h, "physical", 6) == 200 and
         cycle_bytes(h, "synthetic", 5) == 100, "cycles 5, 6 indexed")
    c.call("cleanup-generated")
    got = [e for e in sub.sync() if e["type"] == "cycle_removed"]
    want = sorted((k, cy, p, n) for (k, cy), (p, n) in paths.items())
    check(sorted((e["kind"], e["cycle"], e["path"], e["bytes"]) for e in got)
          == want and all(e["why"] == "request" for e in got),
          "cleanup-generated: a cycle_removed per cycle: %r" % (got,))
    for e in got:
        well_formed(e, t0)
    # The filtered subscriber saw its type only, in order.
    got = only.sync()
    check([(e["type"], e["cycle"]) for e in got] ==
          [("cycle_created", 3), ("cycle_created", 5),
           ("cycle_created", 6)], "one type only, in order: %r" % (got,))
    err, r = only.call("unsubscribe")
    check(err is None and r == {"was_subscribed": True}, "unsubscribe %r" %
          (r,))
    c.call("get-cycle-dir", kind="physical", cycle=7)
    check(only.sync() == [], "nothing after unsubscribe")
    err, r = only.call("unsubscribe")
    check(r == {"was_subscribed": False}, "unsubscribe twice: %r" % (r,))
    # A subscriber may call: the replies come, events around them.
    err, s = sub.call("summary")
    check(err is None and "exact" in s, "a call while subscribed")
    got = sub.sync()
    check([e["type"] for e in got] == ["cycle_created"] and
          got[0]["cycle"] == 7, "the events around a call: %r" % (got,))
    for x in (only, c):
        x.close()
    return sub


def test_exact(h, sub):
    """An overflow forced while hycod is stopped: lost, then regained."""
    t0 = time.time()
    storm = os.path.join(h.cache, "tensors", "storm")
    err, s = h.call("summary")
    watched = s["watched_dirs"]
    os.makedirs(storm)
    # storm must be watched before the storm, or its files are not
    # events at all but one arrival, scanned when hycod wakes up.
    deadline = time.time() + 15
    while time.time() < deadline:
        err, s = h.call("summary")
        if s["exact"] and s["watched_dirs"] > watched:
            break
        time.sleep(0.01)
    sub.sync()
    queue = int(open("/proc/sys/fs/inotify/max_queued_events").read())
    h.proc.send_signal(signal.SIGSTOP)
    try:
        for n in range(queue + 4000):
            open(os.path.join(storm, "s%d" % n), "wb").close()
    finally:
        h.proc.send_signal(signal.SIGCONT)
    lost, seen = sub.wait_for("exact_lost")
    check(lost is not None and lost["why"] == "overflow",
          "exact_lost after an overflow: %r" % (lost or seen,))
    back, seen = sub.wait_for("exact_regained")
    check(back is not None and back["why"] == "overflow" and
          back["lost_s"] > 0, "exact_regained: %r" % (back or seen,))
    for e in (lost, back):
        if e:
            well_formed(e, t0)
    err, s = h.call("summary")
    check(s["overflows"] >= 1 and s["exact"], "summary agrees: %d "
          "overflows, exact %r" % (s["overflows"], s["exact"]))
    err, st = h.call("stats")
    check(st["events"]["emitted"]["exact_lost"] >= 1 and
          st["events"]["emitted"]["exact_regained"] >= 1,
          "counted: %r" % st["events"]["emitted"])


def test_shutdown(h, sub):
    t0 = time.time()
    h.proc.send_signal(signal.SIGTERM)
    ev, seen = sub.wait_for("shutdown")
    check(ev is not None and ev["signal"] == "SIGTERM",
          "shutdown on SIGTERM: %r" % (ev or seen,))
    if ev:
        well_formed(ev, t0)
    check(sub.event(10) is None, "then the connection closes")
    check(h.proc.wait(30) == 0, "hycod exits 0")


def test_keep_last(root):
    h = Hycod(root, ["retention.keep_last_cycles=1",
                     "retention.protect_recent_s=0",
                     "retention.check_interval_s=3600"])
    try:
        t0 = time.time()
        sub = Conn(h.sock)
        sub.call("subscribe", events=["cycle_removed", "prune"])
        c = Conn(h.sock)
        err, r = c.call("get-cycle-dir", kind="synthetic", cycle=1)
        write(os.path.join(r["path"], "p.bin"), 500)
        # The lease moves to cycle 2; cycle 1 is beyond keep_last_cycles.
        c.call("get-cycle-dir", kind="synthetic", cycle=2)
        ev, seen = sub.wait_for("cycle_removed")
        check(ev is not None and ev["why"] == "keep_last_cycles" and
              ev["cycle"] == 1 and ev["bytes"] == 500 and
              ev["path"] == os.path.dirname(r["path"]),
              "cycle_removed by keep_last_cycles: %r" % (ev or seen,))
        pr, seen = sub.wait_for("prune")
        check(pr is not None and pr["items"] == 1 and pr["bytes"] == 500 and
              pr["cycles"] == 1 and pr["datasets"] == 0,
              "the prune pass: %r" % (pr or seen,))
        for e in (ev, pr):
            if e:
                well_formed(e, t0)
        sub.close()
        c.close()
    finally:
        check(h.stop() == 0, "keep_last daemon: clean exit")


def test_policy(root):
    """Below prune_below (1P: always), oldest unleased cycles go."""
    h = Hycod(root, ["retention.prune_below=1P", "retention.prune_until=1P",
                     "retention.refuse_below=0",
                     "retention.prune_below_inodes=0",
                     "retention.prune_until_inodes=0",
                     "retention.refuse_below_inodes=0",
                     "retention.protect_recent_s=0",
                     "retention.check_interval_s=3600"])
    try:
        t0 = time.time()
        sub = Conn(h.sock)
        sub.call("subscribe", events=["cycle_removed", "prune"])
        c = Conn(h.sock)
        err, r = c.call("get-cycle-dir", kind="physical", cycle=4)
        write(os.path.join(r["path"], "p.bin"), 300)
        # The lease moves to 5: the pass after it takes 4, unprotected.
        c.call("get-cycle-dir", kind="physical", cycle=5)
        ev, seen = sub.wait_for("cycle_removed")
        check(ev is not None and ev["why"] == "policy" and ev["cycle"] == 4
              and ev["kind"] == "physical" and ev["bytes"] == 300 and
              ev["path"] == os.path.dirname(r["path"]),
              "cycle_removed by policy: %r" % (ev or seen,))
        pr, seen = sub.wait_for("prune")
        check(pr is not None and pr["items"] == 1 and pr["bytes"] == 300,
              "prune event: %r" % (pr or seen,))
        for e in (ev, pr):
            if e:
                well_formed(e, t0)
        sub.close()
        c.close()
    finally:
        check(h.stop() == 0, "policy daemon: clean exit")


def test_dropped(root):
    """Two subscribers that never read: dropped, told, closed; everyone
    else answered meanwhile."""
    cap = 65536
    h = Hycod(root, ["events.max_queued_bytes=%d" % cap])
    try:
        c = Conn(h.sock)
        base = c.call("summary")[1]["connections"]
        stop = threading.Event()
        pings = {"ok": 0, "bad": []}

        def pinger():
            p = Conn(h.sock)
            while not stop.is_set():
                err, r = p.call("ping")
                if err is None:
                    pings["ok"] += 1
                else:
                    pings["bad"].append(err)
            p.close()
        th = threading.Thread(target=pinger)
        th.start()
        mute, late = Conn(h.sock), Conn(h.sock)
        for s in (mute, late):
            s.call("subscribe")
        # Long dataset names make big events: fewer requests to fill.
        w = Conn(h.sock)
        ds = "d" * 200
        n = answered = 0
        while n < 20000:
            err, r = w.call("get-cycle-dir", kind="synthetic", cycle=n,
                            dataset=ds)
            answered += err is None
            n += 1
            if n % 50 == 0 and \
                    c.call("stats")[1]["events"]["dropped"] >= 2:
                break
        err, st = c.call("stats")
        check(st["events"]["dropped"] == 2 and
              st["events"]["subscribers"] == 0,
              "both dropped after %d events: %r" % (n, st["events"]))
        check(answered == n, "the writer was answered: %d of %d" %
              (answered, n))
        # One reads now, within the grace: every event it was sent, in
        # order, the dropped notice last, then the end.
        got = []
        while True:
            ev = late.event(10)
            if ev is None:
                break
            got.append(ev)
        created = [e["cycle"] for e in got[:-1]]
        check(got and got[-1]["type"] == "dropped" and
              got[-1]["max_queued_bytes"] == cap and
              cap - 2000 < got[-1]["queued_bytes"] <= cap,
              "the last message is dropped: %r" % (got[-1:],))
        if got:
            well_formed(got[-1], 0)
        check(created == list(range(len(created))) and len(created) > 10,
              "before it, the events in order: %d of them" % len(created))
        # The other never reads: closed by the daemon after the grace.
        wait(lambda: c.call("summary")[1]["connections"] == base + 2,
             "the mute subscriber closed without reading (%d open, base "
             "%d + pinger + writer)" % (c.call("summary")[1]["connections"],
                                        base), timeout=15)
        mute.s.settimeout(10)
        n_mute = 0
        while mute.event(10) is not None:
            n_mute += 1
        check(n_mute > 0, "it finds what reached it, then the end (%d)" %
              n_mute)
        stop.set()
        th.join()
        check(pings["ok"] > 0 and not pings["bad"],
              "other clients answered all along: %d pings, errors %r" %
              (pings["ok"], pings["bad"][:3]))
        err, m = c.call("metrics")
        check("\nhyco_event_subscribers_dropped_total 2\n" in m["text"],
              "metrics count the drops")
        for x in (c, w, mute, late):
            x.close()
    finally:
        check(h.stop() == 0, "drop daemon: clean exit")


def main():
    d = tempfile.mkdtemp(prefix="hyco-events-",
                         dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    try:
        h = Hycod(os.path.join(d, "main"),
                  ["retention.check_interval_s=3600"])
        try:
            test_subscribe_args(h)
            sub = test_request_events(h)
            test_exact(h, sub)
            test_shutdown(h, sub)
        finally:
            if h.proc.poll() is None:
                h.stop()
        test_keep_last(os.path.join(d, "keep"))
        test_policy(os.path.join(d, "policy"))
        test_dropped(os.path.join(d, "drop"))
    finally:
        subprocess.run(["rm", "-rf", d])
    return 0 if check.summary() else 1


if __name__ == "__main__":
    sys.exit(main())
