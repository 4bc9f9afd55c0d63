#!/usr/bin/python3
"""busypoll.py: daemon.busy_poll_us keeps hycod's loop polling while
requests come within that long of its handling of the ones before,
and only then.

The figure is hycod's own CPU time (/proc/PID/stat), over one second
of pings sent 2 ms apart on one connection, then over one idle second:
- busy_poll_us 20000 (requests closer than 20 ms): the loop spins
  between them, so it uses most of that second (at least 0.4 s);
- once idle, it stops within 20 ms (at most 0.2 s in the second after);
- after a reload to 0, the same pings cost only their work (at most
  0.2 s: about 500 pings of a few microseconds each).
summary's busy_poll_seconds says the same: most of the first second
(0.5 to 1.3 s: the loop spins from the second ping to 20 ms after the
last), nothing after the reload.
Needs $HYCOD and $TOP."""
import os
import shutil
import signal
import socket
import sys
import tempfile
import time

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hytest import Checks  # noqa: E402
from removal import Hycod  # noqa: E402

check = Checks("busypoll")
TICK = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    """Seconds of CPU pid has used, user and system."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def paced(sock, seconds, gap):
    """Pings one at a time, gap seconds apart, for seconds; the count."""
    u = msgpack.Unpacker(raw=False)
    n = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sock.sendall(msgpack.packb([0, n, "ping", []]))
        while True:
            m = next(u, None)
            if m is not None:
                break
            u.feed(sock.recv(65536))
        check(m[1] == n and m[2] is None, "ping %d: %r" % (n, m))
        n += 1
        time.sleep(gap)
    return n


def spun(h):
    """summary's busy_poll_seconds."""
    err, s = h.call("summary")
    check(err is None, "summary: %r" % (err,))
    return s["busy_poll_seconds"]


def cost(h, what):
    """(CPU over 1 s of paced pings, CPU over the idle second after,
    busy_poll_seconds gained over both)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(h.sock)
    b0 = spun(h)
    t0 = cpu(h.proc.pid)
    n = paced(s, 1.0, 0.002)
    t1 = cpu(h.proc.pid)
    time.sleep(1.0)
    t2 = cpu(h.proc.pid)
    b1 = spun(h)
    s.close()
    print("busypoll: %s: %d pings in 1 s cost %.2f s of CPU; "
          "the idle second after, %.2f s; busy_poll_seconds +%.2f" %
          (what, n, t1 - t0, t2 - t1, b1 - b0))
    return t1 - t0, t2 - t1, b1 - b0


def set_layer(path, us):
    with open(path, "w") as f:
        f.write("daemon:\n  busy_poll_us: %d\n" % us)


def main():
    root = tempfile.mkdtemp(prefix="hyco-busypoll-",
                            dir="/dev/shm" if os.path.isdir("/dev/shm")
                            else None)
    layer = os.path.join(root, "layer.yaml")
    set_layer(layer, 20000)
    h = Hycod(os.path.join(root, "d"), ["-c", layer])
    try:
        busy, after, counted = cost(h, "busy_poll_us 20000")
        check(busy >= 0.4, "busy_poll_us 20000: the loop did not spin "
              "between requests 2 ms apart (%.2f s of CPU)" % busy)
        check(after <= 0.2, "busy_poll_us 20000: still spinning a second "
              "after the last request (%.2f s of CPU)" % after)
        # Spinning, not sleeping, for most of the second, and so said.
        check(0.5 <= counted <= 1.3, "busy_poll_us 20000: summary counts "
              "%.2f s of busy polling over the second of pings" % counted)

        set_layer(layer, 0)
        h.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 30
        while time.time() < deadline:
            err, c = h.call("config")
            if c["config"]["daemon"]["busy_poll_us"] == 0:
                break
            time.sleep(0.05)
        check(c["config"]["daemon"]["busy_poll_us"] == 0,
              "the reload did not apply busy_poll_us 0: %r" %
              (c["config"]["daemon"],))
        quiet, after, counted = cost(h, "busy_poll_us 0 (reloaded)")
        check(quiet <= 0.2, "busy_poll_us 0: the loop spun (%.2f s of CPU "
              "for pings 2 ms apart)" % quiet)
        check(after <= 0.2, "busy_poll_us 0: busy when idle (%.2f s)" %
              after)
        check(counted == 0, "busy_poll_us 0: summary counts %.3f s of "
              "busy polling" % counted)
    finally:
        check(h.stop() == 0, "hycod exits 0 on SIGTERM")
        shutil.rmtree(root, ignore_errors=True)
    return 0 if check.summary() else 1


if __name__ == "__main__":
    sys.exit(main())
