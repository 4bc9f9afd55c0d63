#!/usr/bin/python3
"""service.py: hycod as a systemd service, with Debian's systemd tools
and sockets of the test's own (no systemd PID 1 is needed):

  - socket activation (systemd-socket-activate): a client that connected
    before hycod existed is answered by it; the socket is never unlinked
    by hycod; two sockets, or a datagram one, are refused clearly
  - sd_notify to a test-owned datagram socket: READY=1 with STATUS=,
    STATUS= again on its timer, WATCHDOG=1 at half of WATCHDOG_USEC
    (and none when WATCHDOG_PID names another process), RELOADING=1
    then READY=1 on SIGHUP, STOPPING=1 on SIGTERM
  - reload (SIGHUP and hycoctl reload): keep_last_cycles prunes at once,
    log_level changes the output, restart-only keys are refused and
    reported, an invalid file keeps the old config and reports every
    error with file and line, SIGHUP storms under pipelined load lose
    no request
  - $JOURNAL_STREAM: <N> priority prefixes when it names stderr, plain
    lines otherwise
Needs $HYCOD, $HYCOCTL and $TOP."""
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hytest import Checks, next_msg, write  # noqa: E402

check = Checks("service")
HYCOD = os.environ["HYCOD"]
HYCOCTL = os.environ["HYCOCTL"]
CONF = os.path.join(os.environ["TOP"], "conf", "config.yaml")
BATCHES = 150       # of 200 pipelined requests, per client of the storm


def wait_for(pred, timeout=10, step=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def call(path, method, params=None, timeout=30):
    """(error, result) of one request on a fresh connection."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall(msgpack.packb([0, 1, method, [params] if params else []]))
    r = next_msg(s, msgpack.Unpacker(raw=False))
    s.close()
    return (r[2], r[3]) if r else ({"code": "closed"}, None)


class Tree:
    """A temporary root: cache, an overlay config, a log."""

    def __init__(self, name, overlay=""):
        self.root = tempfile.mkdtemp(prefix="hyco-svc-%s-" % name,
                                     dir="/dev/shm")
        self.cache = os.path.join(self.root, "cache")
        self.sock = os.path.join(self.cache, "hycod.sock")
        self.conf = os.path.join(self.root, "overlay.yaml")
        self.log = os.path.join(self.root, "hycod.log")
        self.set(overlay)

    def set(self, extra):
        with open(self.conf, "w") as f:
            f.write("paths:\n  cache_root: %s\n%s" % (self.cache, extra))

    def argv(self):
        return [HYCOD, "-c", CONF, "-c", self.conf]

    def logtext(self):
        return open(self.log, errors="replace").read()

    def ctl(self, *args):
        p = subprocess.run([HYCOCTL, "--socket", self.sock] + list(args),
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


def start(t, env=None, argv=None):
    p = subprocess.Popen(argv or t.argv(), stderr=open(t.log, "a"),
                         env=env)
    ok = wait_for(lambda: os.path.exists(t.sock) or p.poll() is not None)
    check(ok and p.poll() is None, "hycod started (%s)" % t.log)
    return p


def stop(p):
    p.send_signal(signal.SIGTERM)
    return p.wait(30)


# -- socket activation --------------------------------------------------------

def test_activation():
    t = Tree("act", "daemon:\n  socket: %s\n" % os.path.join(
        "/dev/shm", "unused"))
    sock = os.path.join(t.root, "activated.sock")
    t.set("daemon:\n  socket: %s\n" % sock)
    os.makedirs(t.cache)
    # Files in the tree, so that the start-up scan has work to do.
    for i in range(200):
        write(os.path.join(t.cache, "tensors", "ds", "f%d" % i), 100)
    act = subprocess.Popen(["systemd-socket-activate", "-l", sock] +
                           t.argv(), stderr=open(t.log, "a"))
    check(wait_for(lambda: os.path.exists(sock)), "the activator listens")
    exe = os.readlink("/proc/%d/exe" % act.pid)
    check("systemd-socket-activate" in exe, "no hycod yet: %s" % exe)
    # Connect and ask before hycod exists: the kernel backlog holds it.
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(30)
    c.connect(sock)
    c.sendall(msgpack.packb([0, 1, "ping", []]) +
              msgpack.packb([0, 2, "summary", []]))
    u = msgpack.Unpacker(raw=False)
    r1, r2 = next_msg(c, u), next_msg(c, u)
    exe = os.readlink("/proc/%d/exe" % act.pid)
    check(r1 and r1[2] is None and r1[3]["pid"] == act.pid and
          os.path.samefile(exe, HYCOD), "the early client is answered by "
          "hycod itself (%r, %s)" % (r1, exe))
    check(r2 and r2[2] is None and r2[3]["tensors"] == 20000 and
          r2[3]["exact"], "and its summary waited for the scan: %r" %
          (r2 and r2[3] and r2[3]["tensors"],))
    c.close()
    err, r = call(sock, "ping")
    check(err is None, "later clients too")
    rc = stop(act)
    check(rc == 0, "exit 0 on SIGTERM: %r" % rc)
    check(os.path.exists(sock) and stat.S_ISSOCK(os.lstat(sock).st_mode),
          "the socket systemd passed is not unlinked by hycod")
    check(not os.path.exists(t.sock), "nothing bound at the default path")
    log = t.logtext()
    check("serving on %s" % sock in log, "serving the passed socket")

    # The socket in the config elsewhere: served all the same, said.
    t.set("daemon:\n  socket: %s\n" % t.sock)
    os.unlink(sock)
    act = subprocess.Popen(["systemd-socket-activate", "-l", sock] +
                           t.argv(), stderr=open(t.log, "a"))
    wait_for(lambda: os.path.exists(sock))
    err, r = call(sock, "ping")
    check(err is None and r["pid"] == act.pid, "served: %r" % (r,))
    check("daemon.socket says %s" % t.sock in t.logtext(),
          "a socket that is not daemon.socket is warned about")
    err, r = call(sock, "reload")
    check(err is None and r["ok"] and r["refused"] == [],
          "and a reload does not call the difference a change: %r" % (r,))
    check(stop(act) == 0 and not os.path.exists(t.sock),
          "nothing bound at daemon.socket either")

    # Not what hycod can serve: refused, with a reason, exit 1. With
    # --accept the activator forks hycod per connection and stays.
    for opts, what, trigger in (
            (["-l", sock, "-l", sock + "2"], "2 sockets", "stream"),
            (["-d", "-l", sock], "not a listening Unix stream", "dgram"),
            (["-a", "-l", sock], "not a listening Unix stream", "stream")):
        for p in (sock, sock + "2"):
            if os.path.exists(p):
                os.unlink(p)
        open(t.log, "w").close()
        act = subprocess.Popen(["systemd-socket-activate"] + opts +
                               t.argv(), stderr=open(t.log, "a"))
        wait_for(lambda: os.path.exists(sock))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM
                          if trigger == "dgram" else socket.SOCK_STREAM)
        s.connect(sock)
        try:
            s.send(b"x")
        except (BrokenPipeError, ConnectionResetError):
            pass    # hycod (forked for this connection) refused it already
        if "-a" in opts:
            ok = wait_for(lambda: "died with code 1" in t.logtext())
            act.kill()
            rc = 1 if ok else act.wait()
        else:
            try:
                rc = act.wait(20)
            except subprocess.TimeoutExpired:
                act.kill()
                rc = act.wait()
        act.wait()
        s.close()
        check(rc == 1 and what in t.logtext(), "%s: exit %r, %r" %
              (opts, rc, t.logtext()[-300:]))
    # LISTEN_FDS for another process: not ours, bind as usual.
    env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID="1")
    p = start(t, env)
    err, r = call(t.sock, "ping")
    check(err is None and r["pid"] == p.pid, "LISTEN_PID of another "
          "process: bound daemon.socket itself")
    check(stop(p) == 0 and not os.path.exists(t.sock),
          "and removed it at exit, its own")
    t.remove()


# -- sd_notify ----------------------------------------------------------------

class NotifySocket:
    """A datagram socket as systemd's $NOTIFY_SOCKET: (time, message)."""

    def __init__(self, path):
        self.path = path
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(path)
        self.s.settimeout(0.1)
        self.got = []
        self.lock = threading.Lock()
        self.done = False
        self.th = threading.Thread(target=self.read, daemon=True)
        self.th.start()

    def read(self):
        while not self.done:
            try:
                m = self.s.recv(4096).decode()
            except socket.timeout:
                continue
            with self.lock:
                self.got.append((time.monotonic(), m))

    def msgs(self, since=0):
        with self.lock:
            return [(t, m) for t, m in self.got if t >= since]

    def first(self, prefix, since=0, timeout=10):
        def find():
            for t, m in self.msgs(since):
                if any(line.startswith(prefix) for line in m.split("\n")):
                    return t, m
            return None
        return wait_for(find, timeout)

    def close(self):
        self.done = True
        self.th.join()
        self.s.close()


def test_notify():
    t = Tree("notify")
    for i in range(50):
        write(os.path.join(t.cache, "evaluation", "ds", "e%d" % i), 10)
    ns = NotifySocket(os.path.join(t.root, "notify.sock"))
    wd_us = 400000
    env = dict(os.environ, NOTIFY_SOCKET=ns.path, WATCHDOG_USEC=str(wd_us))
    # WATCHDOG_PID is the daemon's own pid: sh's, which exec keeps.
    argv = ["sh", "-c", 'WATCHDOG_PID=$$ exec "$@"', "sh"] + t.argv()
    t0 = time.monotonic()
    p = start(t, env, argv)
    ready = ns.first("READY=1")
    check(ready is not None and "STATUS=" in ready[1],
          "READY=1 with STATUS=: %r" % (ready,))
    err, r = call(t.sock, "ping")
    check(err is None and r["pid"] == p.pid, "serving at READY=1")
    # The timer's STATUS= (every 5 s) and the watchdog meanwhile.
    time.sleep(5.6)
    msgs = ns.msgs()
    status = [m for _, m in msgs if m.startswith("STATUS=")]
    check(len(status) >= 2, "STATUS= refreshed: %r" % status)
    check(status and "500 B" in status[-1] and " exact;" in status[-1]
          and "free on %s" % t.cache in status[-1],
          "STATUS= says files, bytes, exact, free space: %r" %
          (status[-1:],))
    check(status and status[-1].startswith("STATUS=50 files"),
          "STATUS= counts the files: %r" % (status[-1:],))
    pings = [tm for tm, m in msgs if m == "WATCHDOG=1"]
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    span = msgs[-1][0] - t0
    check(len(pings) >= span / (wd_us / 1e6) and gaps and
          max(gaps) < wd_us / 1e6, "WATCHDOG=1 at half of WATCHDOG_USEC: %d "
          "pings in %.1f s, longest gap %.3f s" %
          (len(pings), span, max(gaps) if gaps else -1))
    # A reload: RELOADING=1, then READY=1.
    t1 = time.monotonic()
    p.send_signal(signal.SIGHUP)
    rl = ns.first("RELOADING=1", t1)
    rd = ns.first("READY=1", t1)
    check(rl is not None and rd is not None and rl[0] <= rd[0] and
          "MONOTONIC_USEC=" in rl[1], "SIGHUP: RELOADING=1 then READY=1: "
          "%r %r" % (rl, rd))
    err, r = call(t.sock, "ping")
    check(err is None, "alive after SIGHUP")
    t2 = time.monotonic()
    rc = stop(p)
    st = ns.first("STOPPING=1", t2, 2)
    check(rc == 0 and st is not None, "SIGTERM: STOPPING=1, exit 0")
    check("notify: watchdog every 200 ms" in t.logtext(),
          "the watchdog period is logged")

    # WATCHDOG_PID of another process: no watchdog pings.
    t3 = time.monotonic()
    env["WATCHDOG_PID"] = "1"
    p = start(t, env)
    check(ns.first("READY=1", t3) is not None, "READY=1 again")
    time.sleep(1.0)
    check(not [m for _, m in ns.msgs(t3) if m == "WATCHDOG=1"],
          "no WATCHDOG=1 for another process's watchdog")
    check(stop(p) == 0, "exit 0")
    ns.close()
    t.remove()


# -- reload -------------------------------------------------------------------

def cycles_left(t):
    d = os.path.join(t.cache, "generated", "synthetic_preds")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def reload_json(t):
    code, out, err = t.ctl("--json", "reload")
    try:
        return code, json.loads(out), err
    except ValueError:
        return code, None, err


def test_reload():
    t = Tree("reload", "retention:\n  keep_last_cycles: 0\n")
    for c in range(6):
        write(os.path.join(t.cache, "generated", "synthetic_preds",
                           "cycle_%03d" % c, "burgers_128", "p.bin"), 1000)
    p = start(t)
    err, s = call(t.sock, "summary")
    check(len(s["cycles"]) == 6, "six cycles indexed")

    # A valid change, by SIGHUP: keep_last_cycles prunes at once.
    t.set("retention:\n  keep_last_cycles: 2\n")
    p.send_signal(signal.SIGHUP)
    check(wait_for(lambda: cycles_left(t) == ["cycle_004", "cycle_005"], 5),
          "keep_last_cycles=2 after SIGHUP prunes at once: %r" %
          cycles_left(t))
    check("reload: retention.keep_last_cycles: 0 -> 2" in t.logtext(),
          "the change is logged")
    # The same by hycoctl reload, which says what changed.
    t.set("retention:\n  keep_last_cycles: 1\n")
    code, out, err = t.ctl("reload")
    check(code == 0 and "retention.keep_last_cycles: 2 -> 1" in out,
          "hycoctl reload: %d %r %r" % (code, out, err))
    check(wait_for(lambda: cycles_left(t) == ["cycle_005"], 5),
          "keep_last_cycles=1: %r" % cycles_left(t))

    # log_level: warn hides info lines, debug shows debug lines.
    t.set("retention:\n  keep_last_cycles: 1\ndaemon:\n  log_level: warn\n")
    code, out, err = t.ctl("reload")
    check(code == 0 and "daemon.log_level: info -> warn" in out,
          "log_level to warn: %r" % out)
    mark = len(t.logtext())
    err, r = call(t.sock, "cleanup-cycle", {"cycle": 5, "wait": True})
    check(err is None and r["freed_bytes"] == 1000, "cleanup: %r" % (r,))
    check("cleanup-cycle: removed" not in t.logtext()[mark:],
          "at warn, no info line for a cleanup")
    t.set("retention:\n  keep_last_cycles: 1\ndaemon:\n  log_level: debug\n")
    check(t.ctl("reload")[0] == 0, "log_level to debug")
    err, r = call(t.sock, "get-cycle-dir", {"kind": "synthetic",
                                            "cycle": 9})
    check(err is None and "get-cycle-dir: created" in t.logtext()[mark:],
          "at debug, the debug line for a new cycle directory")

    # Limits and alerts apply at once: a request over the new size
    # limit is too_large; a warn_below of 100% makes the level warning.
    t.set("retention:\n  keep_last_cycles: 1\ndaemon:\n  log_level: debug\n"
          "  max_request_bytes: 2048\nalerts:\n  warn_below: 100%\n")
    code, out, err = t.ctl("reload")
    check(code == 0 and "daemon.max_request_bytes: 65536 -> 2048" in out and
          "alerts.warn_below: 10% -> 100%" in out, "limits, alerts: %r" %
          out)
    err, r = call(t.sock, "ping", {"pad": "x" * 3000})
    check(err is not None and err.get("code") == "too_large",
          "max_request_bytes 2048: a 3000-byte request is too_large: %r" %
          (err,))
    err, s = call(t.sock, "summary")
    check(err is None and s["alert_level"] == "warning",
          "warn_below 100%%: the level is warning at once: %r" %
          (s and s["alert_level"],))
    t.set("retention:\n  keep_last_cycles: 1\ndaemon:\n  log_level: debug\n")
    check(t.ctl("reload")[0] == 0, "back to the defaults")
    err, s = call(t.sock, "summary")
    check(err is None and s["alert_level"] == "ok", "level ok again")

    # Restart-only keys: refused and reported, old values in force; a
    # valid change in the same file applies.
    t.set("retention:\n  keep_last_cycles: 1\n  protect_recent_s: 5\n"
          "  trash_dir: %s/elsewhere\ndaemon:\n  log_level: debug\n"
          "  socket_mode: '0600'\n" % t.root)
    code, r, err = reload_json(t)
    refused = sorted(x["key"] for x in r["refused"]) if r else None
    check(code == 0 and r["ok"] and refused == ["daemon.socket_mode",
                                                "retention.trash_dir"],
          "restart-only keys refused: %r" % (r,))
    check(r and [x["key"] for x in r["changed"]] ==
          ["retention.protect_recent_s"] and r["changed"][0]["to"] == "5",
          "the valid change applies: %r" % (r and r["changed"],))
    check(stat.S_IMODE(os.stat(t.sock).st_mode) == 0o660,
          "the socket keeps its mode")
    check("retention.trash_dir: %s/.trash -> %s/elsewhere needs a restart" %
          (t.cache, t.root) in t.logtext(), "refusal logged as a warning")
    code, out, err = t.ctl("reload")
    check(code == 0 and "daemon.socket_mode: 0660 -> 0600 (needs a "
          "restart; 0660 until then)" in out, "hycoctl says so: %r" % out)
    # A new cache root: every path that follows it waits for a restart.
    t.cache_was = t.cache
    with open(t.conf, "w") as f:
        f.write("paths:\n  cache_root: %s/other\n" % t.root)
    code, r, err = reload_json(t)
    refused = sorted(x["key"] for x in r["refused"]) if r else []
    check(code == 0 and "paths.cache_root" in refused and
          "daemon.socket" in refused and "paths.tensor_cache_dir" in
          refused and len(refused) == 8, "a new cache_root: %r" % refused)
    err, s = call(t.sock, "summary")
    check(err is None and s["disk"]["path"] == t.cache,
          "still serving the old tree")
    t.set("retention:\n  keep_last_cycles: 1\n  protect_recent_s: 5\n"
          "daemon:\n  log_level: debug\n")
    check(reload_json(t)[1]["refused"] == [], "back to the values in force")

    # An invalid file: every error, with file and line; nothing changes.
    t.set("retention:\n  keep_last_cycles: -1\n  protect_recent_s: 5\n"
          "daemon:\n  log_level: loud\n  max_clients: lots\n")
    code, out, err = t.ctl("reload")
    lines = [ln for ln in err.splitlines() if ln.startswith(t.conf + ":")]
    check(code == 1 and len(lines) == 3 and
          any(":4: retention.keep_last_cycles: " in ln for ln in lines) and
          any(":7: daemon.log_level: " in ln for ln in lines) and
          any(":8: daemon.max_clients: " in ln for ln in lines),
          "hycoctl reload: exit 1, each error with file and line: %d %r" %
          (code, err))
    code, r, err = reload_json(t)
    check(r is not None and r["ok"] is False and len(r["errors"]) == 3 and
          r["changed"] == [] and r["refused"] == [], "--json: ok false, "
          "three errors: %r" % (r,))
    p.send_signal(signal.SIGHUP)
    check(wait_for(lambda: t.logtext().count("3 errors: the config in "
                                             "force is unchanged") >= 3),
          "SIGHUP with errors: logged, still running")
    check(p.poll() is None, "alive")
    t.set("retention:\n  keep_last_cycles: 3\n  protect_recent_s: 5\n"
          "daemon:\n  log_level: debug\n")
    code, out, err = t.ctl("reload")
    check(code == 0 and "retention.keep_last_cycles: 1 -> 3" in out,
          "the old config stayed in force: %r" % out)

    # SIGHUP storms under pipelined load: every request answered.
    answered, sent, bad = [0], [0], []

    def load(n_batches, batch):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(t.sock)
        u = msgpack.Unpacker(raw=False)
        msgid = 0
        for _ in range(n_batches):
            reqs = []
            for i in range(batch):
                msgid += 1
                m = "summary" if i % 10 == 0 else "ping"
                reqs.append(msgpack.packb([0, msgid, m, []]))
            s.sendall(b"".join(reqs))
            sent[0] += batch
            want = set(range(msgid - batch + 1, msgid + 1))
            while want:
                r = next_msg(s, u)
                if r is None:
                    bad.append("connection closed")
                    return
                if r[2] is not None:
                    bad.append(r[2])
                want.discard(r[1])
                answered[0] += 1
        s.close()

    threads = [threading.Thread(target=load, args=(BATCHES, 200))
               for _ in range(4)]
    hups, before = 0, t.logtext().count("reload (SIGHUP)")
    for th in threads:
        th.start()
    while any(th.is_alive() for th in threads):
        p.send_signal(signal.SIGHUP)
        hups += 1
        time.sleep(0.001)
    for th in threads:
        th.join()
    check(not bad and answered[0] == sent[0] == 4 * BATCHES * 200,
          "SIGHUP storm: %d of %d answered, %r" % (answered[0], sent[0],
                                                    bad[:3]))
    check(p.poll() is None, "alive after %d SIGHUPs" % hups)
    print("service: %d requests answered while %d SIGHUPs flew" %
          (answered[0], hups))
    # Signals sent while one is pending merge into it: fewer reloads.
    reloads = t.logtext().count("reload (SIGHUP)") - before
    check(reloads >= 20, "the SIGHUPs reloaded during the load: %d of %d"
          % (reloads, hups))
    check(stop(p) == 0, "exit 0")
    t.remove()


# -- the journal --------------------------------------------------------------

def test_journal():
    t = Tree("journal")
    f = open(t.log, "w")
    st = os.fstat(f.fileno())
    env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
    p = subprocess.Popen(t.argv(), stderr=f, env=env)
    wait_for(lambda: os.path.exists(t.sock))
    call(t.sock, "summary")
    call(t.sock, "cleanup-cycle", {"cycle": 3})
    check(stop(p) == 0, "exit 0")
    lines = t.logtext().splitlines()
    check(lines and all(ln[:3] in ("<6>", "<4>", "<7>", "<3>", "<2>")
                        for ln in lines), "every line has its priority: %r"
          % lines[:3])
    check(any(ln.startswith("<6>hycod 0.1.0 serving on") for ln in lines)
          and not any("hycod: info:" in ln for ln in lines),
          "no 'hycod: info:' of its own: %r" % lines[:2])
    # A config error at start: priority err.
    t.set("daemon:\n  max_clients: lots\n")
    f = open(t.log, "w")
    rc = subprocess.run(t.argv(), stderr=f, env=env).returncode
    lines = t.logtext().splitlines()
    check(rc == 1 and lines and all(ln.startswith("<3>") for ln in lines)
          and any("daemon.max_clients" in ln for ln in lines),
          "config errors at start are <3>: %r" % lines)
    # JOURNAL_STREAM naming another file: plain lines.
    t.set("")
    env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino + 1)
    f = open(t.log, "w")
    p = subprocess.Popen(t.argv(), stderr=f, env=env)
    wait_for(lambda: os.path.exists(t.sock))
    check(stop(p) == 0, "exit 0")
    lines = t.logtext().splitlines()
    check(lines and all(ln.startswith("hycod: ") for ln in lines),
          "stderr not the journal: plain lines: %r" % lines[:2])
    t.remove()


def main():
    tests = [test_activation, test_notify, test_reload, test_journal]
    only = sys.argv[1:]
    for fn in tests:
        if only and fn.__name__ not in only:
            continue
        t0 = time.monotonic()
        fn()
        print("service: %s %.1f s" % (fn.__name__, time.monotonic() - t0))
    return 0 if check.summary() else 1


if __name__ == "__main__":
    sys.exit(main())
