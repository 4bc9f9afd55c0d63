#!/usr/bin/python3
"""alerts.py: the disk monitor on small tmpfs filesystems mounted here
(root; otherwise SKIPPED, said so), filled and emptied by the test:

  - levels ok, warning, critical both ways on free bytes and on free
    inodes, each change logged once at its priority and told to the
    hook, whose environment is recorded and checked field by field
  - hysteresis: free space hovering at a threshold changes the level
    once, and it is left only past the threshold plus the hysteresis
  - time_to_full_s while a filesystem fills, null once it does not, a
    warning from alerts.warn_time_to_full_s
  - a hook that never exits is killed (its children too) after
    alerts.command_timeout_s, and the next change still runs it
  - a slow hook: changes meanwhile are folded, only the latest told,
    none when the level came back to the one it last told
  - a prediction root on a second filesystem alerts on its own
  - hycoctl check: its line, perfdata and exit status at each level,
    with the daemon's levels and with --warn/--critical/--inodes
Every expected state is polled for with a deadline, or looked at once
the bound on the figures' age has passed: a summary samples every
filesystem sampled more than DISK_SUMMARY_MAX_AGE_MS (100 ms) before
it, so a state set by the test (Filler) is seen 100 ms later at the
latest, without waiting for the timer.
Needs $HYCOD, $HYCOCTL and $TOP.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from removal import Hycod  # noqa: E402
from hytest import Checks, next_msg  # noqa: E402

check = Checks("alerts")
# DISK_SUMMARY_MAX_AGE_MS (daemon/disk.h), and a margin.
DUE_S = 0.1 + 0.03
PAGE = os.sysconf("SC_PAGE_SIZE")
# Levels from bytes only, or from inodes only, in the cases that say so.
BYTES_ONLY = ["alerts.warn_below_inodes=0", "alerts.critical_below_inodes=0"]
INODES_ONLY = ["alerts.warn_below=0", "alerts.critical_below=0"]
QUIET = ["alerts.warn_time_to_full_s=0", "retention.prune_below=0",
         "retention.prune_until=0", "retention.refuse_below=0",
         "retention.prune_below_inodes=0", "retention.prune_until_inodes=0",
         "retention.refuse_below_inodes=0"]

RECORD = r"""#!/bin/sh
# record.sh DIR [SLEEP [EXIT]]: this run's HYCO_ALERT_* into DIR, in order.
t=$(date +%s%N)
env | grep '^HYCO_ALERT_' >"$1/.$$" && mv "$1/.$$" "$1/$t.$$.env"
echo "told $HYCO_ALERT_LEVEL" >&2
[ -n "$2" ] && sleep "$2"
exit "${3:-0}"
"""
HANG = r"""#!/bin/sh
# hang.sh DIR: ignores SIGTERM, and has a child that would outlive it.
echo $$ >"$1/.hang.$$" && mv "$1/.hang.$$" "$1/hang.$$"
trap '' TERM
sleep 1000 &
while :; do sleep 0.05; done
"""


class Subscriber:
    """A connection subscribed to some event types."""

    def __init__(self, path, types):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(15)
        self.s.connect(path)
        self.u = msgpack.Unpacker(raw=False)
        self.s.sendall(msgpack.packb([0, 1, "subscribe", [{"events": types}]]))
        r = next_msg(self.s, self.u)
        check(r is not None and r[2] is None, "subscribed: %r" % (r,))

    def events(self, n):
        """The next n events (fewer if none comes for 15 s)."""
        out = []
        try:
            while len(out) < n:
                m = next_msg(self.s, self.u)
                if m is None:
                    break
                if m[0] == 2 and m[1] == "event":
                    out.append(m[2][0])
        except socket.timeout:
            pass
        return out


def wait_for(pred, what, timeout=15):
    """Poll pred() until true or the deadline; check it either way."""
    deadline = time.time() + timeout
    v = pred()
    while not v and time.time() < deadline:
        time.sleep(0.02)
        v = pred()
    return check(v, what)


def mount(path, opts):
    os.makedirs(path, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "none",
                           path]).returncode == 0


def umount(path):
    subprocess.run(["umount", path], stderr=subprocess.DEVNULL)


class Filler:
    """Free space (or inodes) on a filesystem set by a file (or files)
    of its own, outside the cache tree. hycod (a Hycod) is stopped
    while the space changes: a write of megabytes takes a while under
    load, and a sample in the middle of it would see a level the test
    never meant (ok -> warning on the way to critical)."""

    def __init__(self, mnt, hycod):
        self.mnt = mnt
        self.pid = hycod.proc.pid
        self.file = os.path.join(mnt, "filler.bin")
        self.dir = os.path.join(mnt, "inodes")
        os.makedirs(self.dir, exist_ok=True)
        open(self.file, "ab").close()
        self.n = 0

    def free(self):
        st = os.statvfs(self.mnt)
        return st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize

    def set_free(self, share):
        """Make free bytes share of the total, to the page."""
        free, total = self.free()
        have = os.path.getsize(self.file)
        want = free + have - int(total * share)
        want = max(0, -(-want // PAGE) * PAGE)
        os.kill(self.pid, signal.SIGSTOP)
        try:
            if want > have:
                with open(self.file, "ab") as f:
                    f.write(b"f" * (want - have))
            else:
                os.truncate(self.file, want)
        finally:
            os.kill(self.pid, signal.SIGCONT)
        time.sleep(DUE_S)       # summaries see it from now on
        return self.free()[0]

    def set_free_inodes(self, share):
        st = os.statvfs(self.mnt)
        want = self.n + st.f_favail - int(st.f_files * share)
        os.kill(self.pid, signal.SIGSTOP)
        try:
            while self.n < want:
                open(os.path.join(self.dir, "i%d" % self.n), "w").close()
                self.n += 1
            while self.n > max(0, want):
                self.n -= 1
                os.unlink(os.path.join(self.dir, "i%d" % self.n))
        finally:
            os.kill(self.pid, signal.SIGCONT)
        time.sleep(DUE_S)       # summaries see it from now on
        return os.statvfs(self.mnt).f_favail


def summary(h):
    err, s = h.call("summary")
    return s


def fs_of(s, path):
    """The filesystems entry whose mount is path."""
    return next((f for f in s["filesystems"] if f["mount"] == path), None)


def level(h, mnt):
    f = fs_of(summary(h), mnt)
    return f["level"] if f else None


def records(d):
    """The hook's recorded environments, oldest first, as dicts."""
    out = []
    for n in sorted(x for x in os.listdir(d) if x.endswith(".env")):
        env = {}
        for line in open(os.path.join(d, n)):
            k, _, v = line.rstrip("\n").partition("=")
            env[k] = v
        out.append(env)
    return out


def log_lines(log, pattern):
    return [ln for ln in open(log) if re.search(pattern, ln)]


def ctl(h, *args):
    p = subprocess.run([os.environ["HYCOCTL"], "--socket", h.sock] +
                       list(args), capture_output=True, text=True,
                       timeout=30)
    return p.returncode, p.stdout, p.stderr


def plugin(out):
    """(state, text, {label: [value, warn, crit, min, max]}) of a
    Monitoring Plugins line; perfdata values as strings."""
    m = re.match(r"^HYCO (OK|WARNING|CRITICAL|UNKNOWN) - (.*?)(?: \|(.*))?\n$",
                 out, re.S)
    if not m:
        return None, None, {}
    perf = {}
    for label, rest in re.findall(r" ('[^']*'|[^ =]+)=(\S+)", m.group(3) or
                                  ""):
        perf[label.strip("'")] = rest.split(";")
    return m.group(1), m.group(2), perf


def check_plugin(h, mnt, args, code, state, what):
    """hycoctl check: exit code, state word, perfdata against summary."""
    rc, out, err = ctl(h, "check", *args)
    st, text, perf = plugin(out)
    f = fs_of(summary(h), mnt)
    pd = perf.get("free_bytes") or perf.get(mnt + ":free_bytes")
    ok = rc == code and st == state and pd is not None and \
        pd[0] == "%dB" % f["free_bytes"] and pd[3] == "0" and \
        pd[4] == str(f["total_bytes"])
    check(ok, "%s: check %s: exit %d, %r (want %d %s) %s" %
          (what, args, rc, out, code, state, err))
    return pd


def test_bytes(root, mnt, log):
    """ok -> warning -> critical and back on bytes; hysteresis; the
    hook's environment; hycoctl check at each level."""
    env = os.path.join(root, "env-bytes")
    os.makedirs(env)
    h = Hycod(mnt, log=log, overrides=BYTES_ONLY + QUIET + [
        "alerts.warn_below=50%", "alerts.critical_below=25%",
        "alerts.hysteresis=5%", "alerts.check_interval_s=0.1",
        "alerts.command=[%s/record.sh,%s]" % (root, env)])
    fill = Filler(mnt, h)
    sub = Subscriber(h.sock, ["alert"])
    try:
        fill.set_free(0.7)
        check(level(h, mnt) == "ok", "bytes: ok at 70% free")
        check_plugin(h, mnt, [], 0, "OK", "bytes: ok")
        pd = check_plugin(h, mnt, [], 0, "OK", "bytes: ok")
        total = fill.free()[1]
        check(pd and pd[1] == "%d:" % -(-total // 2) and
              pd[2] == "%d:" % -(-total // 4),
              "perfdata thresholds are hycod's 50%% and 25%%: %r" % pd)
        # Into warning; hovering around 50% stays there.
        free = fill.set_free(0.45)
        s = summary(h)
        check(fs_of(s, mnt)["level"] == "warning" and
              s["alert_level"] == "warning", "bytes: warning at 45%")
        check_plugin(h, mnt, [], 1, "WARNING", "bytes: warning")
        for share in (0.51, 0.49, 0.54, 0.505, 0.47, 0.545):
            fill.set_free(share)
            check(level(h, mnt) == "warning", "hysteresis: still warning "
                  "at %.1f%% free (50%% + 5%% to leave)" % (share * 100))
        wait_for(lambda: len(records(env)) >= 1, "hook told of warning")
        r = records(env)
        st = os.statvfs(mnt)
        dev = os.stat(mnt).st_dev
        want = {
            "HYCO_ALERT_LEVEL": "warning", "HYCO_ALERT_PREVIOUS": "ok",
            "HYCO_ALERT_FILESYSTEM": mnt,
            "HYCO_ALERT_PATH": os.path.join(mnt, "cache"),
            "HYCO_ALERT_DEVICE": "%d:%d" % (os.major(dev), os.minor(dev)),
            "HYCO_ALERT_FSTYPE": "tmpfs", "HYCO_ALERT_SOURCE": "none",
            "HYCO_ALERT_FREE_BYTES": str(free),
            "HYCO_ALERT_TOTAL_BYTES": str(st.f_blocks * st.f_frsize),
            "HYCO_ALERT_TOTAL_INODES": str(st.f_files),
            "HYCO_ALERT_CAUSE": "bytes", "HYCO_ALERT_SKIPPED": "0",
        }
        bad = {k: (r[0].get(k), v) for k, v in want.items()
               if r[0].get(k) != v}
        check(not bad, "hook environment: %r" % bad)
        check(r[0].get("HYCO_ALERT_ROOTS", "").split(",")[:2] ==
              ["cache_root", "tensors"] and
              "trash" in r[0].get("HYCO_ALERT_ROOTS", ""),
              "HYCO_ALERT_ROOTS: %r" % r[0].get("HYCO_ALERT_ROOTS"))
        check(r[0].get("HYCO_ALERT_FREE_INODES", "").isdigit() and
              re.fullmatch(r"\d*", r[0].get("HYCO_ALERT_TIME_TO_FULL", "x"))
              and "below alerts.warn_below" in r[0].get(
                  "HYCO_ALERT_REASON", "") and
              abs(float(r[0].get("HYCO_ALERT_TIME", 0)) - time.time()) < 60,
              "free inodes, time to full, reason, time: %r" % r[0])
        check(len(records(env)) == 1, "hovering: one change, one run: %d" %
              len(records(env)))
        # Out of warning past 55%; then straight to critical and back.
        fill.set_free(0.56)
        check(level(h, mnt) == "ok", "bytes: ok again above 55%")
        fill.set_free(0.20)
        check(level(h, mnt) == "critical", "bytes: critical at 20%")
        check_plugin(h, mnt, [], 2, "CRITICAL", "bytes: critical")
        fill.set_free(0.28)
        check(level(h, mnt) == "critical", "hysteresis: critical at 28%")
        fill.set_free(0.32)
        check(level(h, mnt) == "warning", "critical -> warning past 30%")
        fill.set_free(0.6)
        check(level(h, mnt) == "ok", "warning -> ok at 60%")
        s = summary(h)
        check(s["alerts"]["transitions"] == 5,
              "five changes in all: %d" % s["alerts"]["transitions"])
        # Subscribers hear of each change, as it happens, with figures.
        evs = sub.events(5)
        check([(e.get("from"), e.get("to")) for e in evs] ==
              [("ok", "warning"), ("warning", "ok"), ("ok", "critical"),
               ("critical", "warning"), ("warning", "ok")],
              "alert events, in order: %r" % evs)
        check(all(e.get("path") == os.path.join(mnt, "cache") and
                  e.get("device") == "%d:%d" % (os.major(dev),
                                                os.minor(dev)) and
                  isinstance(e.get("free_bytes"), int) and
                  e.get("total_bytes") == st.f_blocks * st.f_frsize
                  for e in evs), "alert events' fields: %r" % evs[:1])

        def all_told():
            a = summary(h)["alerts"]
            return a["hook_runs"] + a["hook_coalesced"] == 5 and \
                len(records(env)) == a["hook_runs"]
        # Changes faster than the hook may be folded (test_slow_hook).
        wait_for(all_told, "every change told or folded")
        seq = [(x["HYCO_ALERT_PREVIOUS"], x["HYCO_ALERT_LEVEL"])
               for x in records(env)]
        # Each run is told the level the last one was told as previous.
        check(all(a[1] == b[0] for a, b in zip(seq, seq[1:])) and
              seq[0] == ("ok", "warning") and seq[-1][1] == "ok",
              "hook: a chain of levels: %r" % seq)
        s = summary(h)
        check(s["alerts"]["hook_runs"] == len(seq) >= 2 and
              s["alerts"]["hook_failures"] == 0,
              "hook counters: %r" % s["alerts"])
        # Each change logged once, at its priority.
        for pri, lv, n in (("warn", "warning", 2), ("crit", "critical", 1),
                           ("info", "ok", 2)):
            got = log_lines(log, r"^hycod: %s: disk: %s on %s \(was" %
                            (pri, lv, re.escape(mnt)))
            check(len(got) == n, "log: %d %s lines at %s: %r" %
                  (len(got), lv, pri, got))
        check(log_lines(log, r"alert: .*record\.sh for %s \(warning, was "
                        r"ok\): exited 0; stderr: told warning" %
                        re.escape(mnt)),
              "log: the hook's exit and stderr")
        # check with its own marks, and with inodes.
        fill.set_free(0.3)
        check_plugin(h, mnt, ["--warn", "40%", "--critical", "10%"], 1,
                     "WARNING", "--warn 40%")
        check_plugin(h, mnt, ["--warn", "20%", "--critical", "35%"], 2,
                     "CRITICAL", "--critical 35%")
        pd = check_plugin(h, mnt, ["--warn", "1k", "--critical", "0"], 0,
                          "OK", "--warn 1k")
        check(pd and pd[1] == "1000:" and pd[2] == "",
              "perfdata: given marks, none for 0: %r" % pd)
        rc, out, err = ctl(h, "check", "--warn", "1%", "--inodes")
        st, text, perf = plugin(out)
        fi = fs_of(summary(h), mnt)
        check(rc == 0 and st == "OK" and "inodes free" in text and
              perf.get("free_inodes", [None])[0] == str(fi["free_inodes"])
              and perf["free_inodes"][4] == str(fi["total_inodes"]),
              "--inodes: %r" % out)
    finally:
        check(h.stop() == 0, "bytes: hycod exits 0")
    os.unlink(fill.file)


def test_inodes(root, mnt, log):
    """The same levels on free inodes, with their own hysteresis."""
    env = os.path.join(root, "env-inodes")
    os.makedirs(env)
    h = Hycod(mnt, log=log, overrides=INODES_ONLY + QUIET + [
        "alerts.warn_below_inodes=50%", "alerts.critical_below_inodes=25%",
        "alerts.hysteresis_inodes=5%", "alerts.hysteresis=0",
        "alerts.check_interval_s=0.1",
        "alerts.command=[%s/record.sh,%s]" % (root, env)])
    fill = Filler(mnt, h)
    try:
        steps = [(0.7, "ok"), (0.45, "warning"), (0.52, "warning"),
                 (0.48, "warning"), (0.56, "ok"), (0.2, "critical"),
                 (0.27, "critical"), (0.32, "warning"), (0.6, "ok")]
        for share, want in steps:
            fill.set_free_inodes(share)
            got = level(h, mnt)
            check(got == want, "inodes: %s at %.0f%% free: %s" %
                  (want, share * 100, got))
            if share == 0.45:
                rc, out, err = ctl(h, "check", "--inodes")
                st, text, perf = plugin(out)
                f = fs_of(summary(h), mnt)
                check(rc == 1 and st == "WARNING" and
                      perf["free_inodes"][0] == str(f["free_inodes"]) and
                      perf["free_inodes"][1] == "%d:" %
                      f["warn_below_inodes"], "check --inodes: %r" % out)
        wait_for(lambda: len(records(env)) >= 1, "inodes: hook told")
        r = records(env)[0]
        check(r["HYCO_ALERT_LEVEL"] == "warning" and
              r["HYCO_ALERT_CAUSE"] == "inodes" and
              "below alerts.warn_below_inodes" in r["HYCO_ALERT_REASON"],
              "inodes: the hook's cause and reason: %r" % r)
        check(summary(h)["alerts"]["transitions"] == 5,
              "inodes: five changes: %d" % summary(h)["alerts"]["transitions"])
    finally:
        check(h.stop() == 0, "inodes: hycod exits 0")


def test_time_to_full(root, mnt, log):
    """A filesystem filling at a steady rate: time_to_full_s, a warning
    within warn_time_to_full_s; null and ok once it stops or is
    emptied."""
    h = Hycod(mnt, log=log, overrides=BYTES_ONLY + QUIET[1:] + [
        "alerts.warn_below=0", "alerts.critical_below=0",
        "alerts.check_interval_s=0.05", "alerts.fill_window_s=1.5",
        "alerts.warn_time_to_full_s=100000"])
    fill = os.path.join(mnt, "filling.bin")
    try:
        f = fs_of(summary(h), mnt)
        check(f["time_to_full_s"] is None and f["level"] == "ok",
              "not filling at start: %r" % f)
        out = open(fill, "ab")
        deadline = time.time() + 15
        seen = None
        while time.time() < deadline and seen is None:
            out.write(b"t" * (256 << 10))
            out.flush()
            time.sleep(0.05)
            f = fs_of(summary(h), mnt)
            if f["time_to_full_s"] is not None and f["level"] == "warning":
                seen = f
        check(seen is not None and seen["fill_bytes_per_s"] > 0 and
              abs(seen["time_to_full_s"] - seen["free_bytes"] /
                  seen["fill_bytes_per_s"]) < 1 and
              "warn_time_to_full_s" in seen["reason"],
              "filling: time_to_full_s and a warning: %r" % seen)
        rc, outp, err = ctl(h, "check")
        check(rc == 1 and "full in" in outp, "check while filling: %r" %
              outp)
        # It stops: once the window holds no filling, null and ok.
        wait_for(lambda: fs_of(summary(h), mnt)["time_to_full_s"] is None,
                 "stopped: time_to_full_s null again")
        check(level(h, mnt) == "ok", "stopped: ok again")
        # Filling again, then emptied by hand: no fit spans the removal.
        while fs_of(summary(h), mnt)["time_to_full_s"] is None and \
                time.time() < deadline + 15:
            out.write(b"t" * (256 << 10))
            out.flush()
            time.sleep(0.05)
        out.close()
        os.unlink(fill)
        time.sleep(DUE_S)
        f = fs_of(summary(h), mnt)
        check(f["time_to_full_s"] is None and f["fill_bytes_per_s"] == 0,
              "emptied: null at the next sample: %r" % f)
    finally:
        check(h.stop() == 0, "time to full: hycod exits 0")


def pids_in_group(pgid):
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                stat = open("/proc/%s/stat" % p).read()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                out.append(int(p))
    return out


def hang_pids(d):
    return sorted(int(open(os.path.join(d, x)).read())
                  for x in os.listdir(d) if x.startswith("hang."))


def test_hook_killed(root, mnt, log):
    """A hook that ignores SIGTERM is killed, children and all, after
    alerts.command_timeout_s; the next change runs it again; stopping
    the daemon ends a running one."""
    d = os.path.join(root, "hang")
    os.makedirs(d)
    h = Hycod(mnt, log=log, overrides=BYTES_ONLY + QUIET + [
        "alerts.warn_below=50%", "alerts.critical_below=0",
        "alerts.command_timeout_s=0.3", "alerts.check_interval_s=0.1",
        "alerts.command=[%s/hang.sh,%s]" % (root, d)])
    fill = Filler(mnt, h)
    rc = None
    try:
        fill.set_free(0.3)
        check(level(h, mnt) == "warning", "hang: warning")
        wait_for(lambda: len(hang_pids(d)) == 1, "hang: hook started")
        pid = hang_pids(d)[0]
        check(len(pids_in_group(pid)) >= 2, "hang: it and its child run")
        wait_for(lambda: summary(h)["alerts"]["hook_timeouts"] == 1 and
                 not pids_in_group(pid), "hang: killed with its child")
        wait_for(lambda: log_lines(log, r"warn: alert: .*hang\.sh for .*: "
                                   r"killed by signal 9 after alerts."
                                   r"command_timeout_s"),
                 "hang: logged, killed after the timeout")
        s = summary(h)
        check(s["alerts"]["hook_failures"] == 1 and
              s["alerts"]["hook_runs"] == 1, "hang: counted %r" % s["alerts"])
        # The next change runs it again: the slot was given back.
        fill.set_free(0.9)
        check(level(h, mnt) == "ok", "hang: ok")
        wait_for(lambda: len(hang_pids(d)) == 2, "hang: run again")
        pid = [p for p in hang_pids(d) if p != pid][0]
    finally:
        # Stopping the daemon ends the running hook too.
        rc = h.stop()
    check(rc == 0, "hang: hycod exits 0 with a hook running")
    wait_for(lambda: not pids_in_group(pid), "hang: ended with the daemon")


def test_slow_hook(root, mnt, log):
    """Changes while the hook runs: only the latest is told after it,
    and nothing when the level came back to the one it last told."""
    env = os.path.join(root, "env-slow")
    os.makedirs(env)
    h = Hycod(mnt, log=log, overrides=BYTES_ONLY + QUIET + [
        "alerts.warn_below=50%", "alerts.critical_below=25%",
        "alerts.hysteresis=1%", "alerts.check_interval_s=0.1",
        "alerts.command=[%s/record.sh,%s,3,7]" % (root, env)])
    fill = Filler(mnt, h)
    try:
        fill.set_free(0.45)
        check(level(h, mnt) == "warning", "slow: warning")
        wait_for(lambda: len(records(env)) == 1, "slow: first run")
        t0 = time.time()
        for share, want in ((0.2, "critical"), (0.6, "ok"),
                            (0.2, "critical")):
            fill.set_free(share)
            check(level(h, mnt) == want, "slow: %s meanwhile" % want)
        check(time.time() - t0 < 2.5, "slow: changes made while it ran")
        wait_for(lambda: len(records(env)) == 2, "slow: second run")
        r = records(env)
        check(r[1]["HYCO_ALERT_LEVEL"] == "critical" and
              r[1]["HYCO_ALERT_PREVIOUS"] == "warning" and
              r[1]["HYCO_ALERT_SKIPPED"] == "2",
              "slow: the latest told, previous = last told, 2 folded: %r" %
              {k: v for k, v in r[1].items() if "LEVEL" in k or
               "PREVIOUS" in k or "SKIPPED" in k})
        # Away and back while it runs: nothing new to tell.
        fill.set_free(0.4)
        check(level(h, mnt) == "warning", "slow: warning meanwhile")
        fill.set_free(0.2)
        check(level(h, mnt) == "critical", "slow: critical again")
        wait_for(lambda: summary(h)["alerts"]["hook_coalesced"] == 4,
                 "slow: folded, 2 + 2")
        s = summary(h)
        check(len(records(env)) == 2 and s["alerts"]["hook_runs"] == 2 and
              s["alerts"]["hook_failures"] == 2,
              "slow: two runs, both exited 7: %r" % s["alerts"])
        check(log_lines(log, r"warn: alert: .*record\.sh for .*\(warning, "
                        r"was ok\): exited 7; stderr: told warning"),
              "slow: exit status and stderr logged")
    finally:
        check(h.stop() == 0, "slow: hycod exits 0")


def test_second_fs(root, mnt, mnt2, log):
    """A prediction root on a filesystem of its own alerts on its own."""
    env = os.path.join(root, "env-second")
    os.makedirs(env)
    h = Hycod(mnt, log=log, overrides=BYTES_ONLY + QUIET + [
        "alerts.warn_below=50%", "alerts.critical_below=25%",
        "alerts.hysteresis=1%", "alerts.check_interval_s=0.1",
        "trainer.physical_pred_cache=%s/physical" % mnt2,
        "alerts.command=[%s/record.sh,%s]" % (root, env)])
    a, b = Filler(mnt, h), Filler(mnt2, h)
    try:
        s = summary(h)
        fa, fb = fs_of(s, mnt), fs_of(s, mnt2)
        check(len(s["filesystems"]) == 2 and fa and fb and
              "cache_root" in fa["roots"] and
              fb["roots"] == ["physical_preds", "trash"] and
              fb["path"] == os.path.join(mnt2, "physical"),
              "second fs: two filesystems: %r" % s["filesystems"])
        b.set_free(0.4)
        s = summary(h)
        check(fs_of(s, mnt2)["level"] == "warning" and
              fs_of(s, mnt)["level"] == "ok" and
              s["alert_level"] == "warning",
              "second fs: it alone warns: %r" % [
                  (f["mount"], f["level"]) for f in s["filesystems"]])
        wait_for(lambda: len(records(env)) == 1, "second fs: hook told")
        r = records(env)[0]
        check(r["HYCO_ALERT_FILESYSTEM"] == mnt2 and
              r["HYCO_ALERT_PATH"] == os.path.join(mnt2, "physical") and
              r["HYCO_ALERT_ROOTS"] == "physical_preds,trash",
              "second fs: the hook names it: %r" % r)
        rc, out, err = ctl(h, "check")
        st, text, perf = plugin(out)
        check(rc == 1 and st == "WARNING" and
              text.startswith(mnt + ": ") and
              re.search(re.escape(mnt2) + r": .* free \(\d+%\) WARNING$",
                        text) and
              sorted(perf) == sorted([mnt + ":free_bytes",
                                      mnt2 + ":free_bytes"]),
              "second fs: check names both, the worst decides: %r" % out)
        b.set_free(0.1)
        a.set_free(0.4)
        s = summary(h)
        check(s["alert_level"] == "critical" and
              fs_of(s, mnt)["level"] == "warning",
              "second fs: the worst of both: %r" % [
                  (f["mount"], f["level"]) for f in s["filesystems"]])
        rc, out, err = ctl(h, "check")
        check(rc == 2 and out.startswith("HYCO CRITICAL - ") and
              out.count(" WARNING") == 1 and out.count(" CRITICAL") == 2,
              "second fs: check critical: %r" % out)
    finally:
        check(h.stop() == 0, "second fs: hycod exits 0")


def main():
    if os.geteuid() != 0:
        print("alerts: SKIPPED: mounting tmpfs needs root")
        return
    root = tempfile.mkdtemp(prefix="hyco-alerts-", dir="/tmp")
    mnt = os.path.join(root, "fs")
    for name, text in (("record.sh", RECORD), ("hang.sh", HANG)):
        with open(os.path.join(root, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(root, name), 0o755)
    mnt2 = os.path.join(root, "fs2")
    try:
        for test, opts in ((test_bytes, "size=16m"),
                           (test_inodes, "size=16m,nr_inodes=200"),
                           (test_time_to_full, "size=64m"),
                           (test_hook_killed, "size=16m"),
                           (test_slow_hook, "size=16m"),
                           (test_second_fs, "size=16m")):
            if not mount(mnt, opts):
                sys.exit("alerts: cannot mount a tmpfs")
            log = os.path.join(root, test.__name__ + ".log")
            try:
                if test is test_second_fs:
                    if not mount(mnt2, opts):
                        sys.exit("alerts: cannot mount a second tmpfs")
                    test(root, mnt, mnt2, log)
                else:
                    test(root, mnt, log)
            finally:
                umount(mnt)
                umount(mnt2)
    finally:
        umount(mnt)
        umount(mnt2)
    if not check.summary():
        print("alerts: logs kept in", root)
        sys.exit(1)
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
