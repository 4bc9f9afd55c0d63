#!/usr/bin/python3
"""valgrind.py: hycod under valgrind through a session that calls every
method of daemon/rpc.c's table (those this script does not know with
no arguments and with a wrong one), their error paths, removals with
and without wait, a client that leaves while its removal runs,
pipelining, notifications, oversized and garbage input, and (as root)
a refused call; then SIGTERM. valgrind must report 0 errors, no
definite or indirect leak, and hycod must exit 0.

$HYCOD must be a gcc build: valgrind 3.19 cannot read clang 14's
DWARF 5 (make valgrind builds one into build/vg). Needs $TOP. The
logs stay in the temporary directory when a check fails (or KEEP=1)."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hytest  # noqa: E402
from hytest import Checks, write  # noqa: E402

check = Checks("valgrind")
TOP = os.environ["TOP"]
VALGRIND = ["valgrind", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect", "--error-exitcode=99",
            "--num-callers=30", "--track-origins=yes"]
TIMEOUT = 120           # seconds a call may take under valgrind


class Conn(hytest.Conn):
    def __init__(self, path):
        super().__init__(path, TIMEOUT)
        self.msgid = 0

    def call(self, method, params=None, raw_params=None):
        """(error code or None, result) of one request."""
        self.msgid += 1
        p = raw_params if raw_params is not None else \
            ([params] if params is not None else [])
        self.send([0, self.msgid, method, p])
        r = self.next()
        if r is None:
            return "closed", None
        return (r[2]["code"] if r[2] else None), r[3]


def methods():
    src = open(os.path.join(TOP, "daemon/rpc.c")).read()
    table = src[src.index("} methods[] = {"):]
    return re.findall(r'\{ "([a-z-]+)", m_', table[:table.index("};")])


def settle(c):
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        err, s = c.call("summary")
        if s and s["exact"] and s["trash_items"] == 0 and not s["pruning"]:
            return s
        time.sleep(0.1)
    return s


def session(sock, cache, called):
    c = Conn(sock)

    def call(method, params=None, want=None, **kw):
        called.add(method)
        err, r = c.call(method, params, **kw)
        if want is not False:
            check(err == want, "%s %r: %s, want %s" % (method, params, err,
                                                       want))
        return r

    call("ping")
    call("nope", want="unknown_method")
    call("summary", raw_params={"not": "a list"}, want="invalid_argument")
    call("ping", {"extra": 1}, want="invalid_argument")
    c.send([2, "ping", []])                     # a notification
    c.send([2, "clean", [{"target": "all"}]])   # no confirm: unanswered
    r = call("get-cycle-dir", {"kind": "synthetic", "cycle": 1})
    for i in range(40):
        write(os.path.join(r["path"], "p%02d.pt" % i), 1000 + i)
    call("get-cycle-dir", {"kind": "synthetic", "cycle": 1})   # exists
    call("get-cycle-dir", {"kind": "physical", "cycle": 2,
                           "dataset": "heat_64"})
    call("get-cycle-dir", {"kind": "nope", "cycle": 1},
         want="invalid_argument")
    call("get-cycle-dir", {"kind": "synthetic", "cycle": 1,
                           "dataset": "../x"}, want="invalid_argument")
    write(os.path.join(cache, "generated", "synthetic_preds", "cycle_005"), 1)
    call("get-cycle-dir", {"kind": "synthetic", "cycle": 5},
         want="io_error")
    os.unlink(os.path.join(cache, "generated", "synthetic_preds",
                           "cycle_005"))
    for ds in ("burgers_128", "heat_64"):
        write(os.path.join(cache, "tensors", ds, "t.pt"), 5000)
        write(os.path.join(cache, "evaluation", ds, "e.pt"), 300)
    s = settle(c)
    check(s["tensors"] == 10000, "summary sees the tensors: %r" %
          s["tensors"])
    call("disk-check", {"required_bytes": 1})
    call("disk-check", {"required_gb": 0.5})
    call("disk-check", {"required_bytes": 1, "required_gb": 1},
         want="invalid_argument")
    call("disk-check", {"required_bytes": -1}, want="invalid_argument")
    call("prune", {"dry_run": True})
    call("prune", {"dry_run": "yes"}, want="invalid_argument")
    call("prune")
    call("cleanup-cycle", {"cycle": 2, "kind": "physical"})
    call("cleanup-cycle", {"cycle": 1, "wait": True})       # removal, wait
    call("cleanup-cycle", {"cycle": 77})                    # nothing there
    call("cleanup-cycle", {"cycle": -1}, want="invalid_argument")
    call("cleanup-cycle", {"cycle": 1, "wait": 1}, want="invalid_argument")
    r = call("get-cycle-dir", {"kind": "physical", "cycle": 3})
    write(os.path.join(r["path"], "x.pt"), 10)
    call("cleanup-generated", {"wait": True})
    call("cleanup-generated", {"wait": "no"}, want="invalid_argument")
    call("clean", {"target": "tensors"}, want="invalid_argument")
    call("clean", {"target": "x", "confirm": True}, want="invalid_argument")
    call("clean", {"target": "tensors", "dataset": "heat_64",
                   "confirm": True, "wait": True})
    call("clean", {"target": "all", "confirm": True})
    # Pipelined: one write, every reply.
    c.send(*[[0, 1000 + i, "ping", []] for i in range(300)])
    ids = [c.next()[1] for _ in range(300)]
    check(ids == list(range(1000, 1300)), "pipelined replies")
    # A removal whose client leaves before it is answered.
    r = call("get-cycle-dir", {"kind": "synthetic", "cycle": 9})
    for i in range(200):
        write(os.path.join(r["path"], "q%03d.pt" % i), 100)
    settle(c)
    o = Conn(sock)
    o.send([0, 1, "cleanup-cycle", [{"cycle": 9, "wait": True}]],
           [0, 2, "summary", []])
    o.close()
    # Too large: answered, closed. Garbage: closed.
    o = Conn(sock)
    o.send([0, 5, "ping", [{"pad": "x" * 70000}]])
    r = o.next()
    check(r is not None and r[2]["code"] == "too_large", "too_large")
    o.close()
    for raw in (b"\xc1", msgpack.packb({"hello": 1}), b"\x94\x00"):
        o = Conn(sock)
        o.s.sendall(raw)
        if raw != b"\x94\x00":
            check(o.next() is None, "bad input %r closes" % raw)
        o.close()
    # A client that never reads while many replies wait.
    o = Conn(sock)
    t = threading.Thread(target=o.send, args=[[0, i, "summary", []]
                                              for i in range(3000)])
    t.daemon = True
    t.start()
    time.sleep(1)
    o.close()
    # Every other method of the table: without arguments, with a wrong one.
    for m in methods():
        if m not in called:
            call(m, want=False)
            call(m, {"zz_valgrind": 1}, want=False)
    s = settle(c)
    check(s["errors"]["internal"] == 0, "no internal error")
    c.close()


def refused_as_nobody(sock):
    """A client as nobody: every class refused (daemon.access)."""
    code = ("import socket, msgpack, sys\n"
            "s = socket.socket(socket.AF_UNIX); s.settimeout(%d)\n"
            "s.connect(sys.argv[1]); u = msgpack.Unpacker(raw=False)\n"
            "for i, m in enumerate(['ping', 'cleanup-cycle', 'clean']):\n"
            "    s.sendall(msgpack.packb([0, i, m, [{'cycle': 1}]]))\n"
            "    while True:\n"
            "        r = next(u, None)\n"
            "        if r: print(r[2]['code'] if r[2] else 'ok'); break\n"
            "        u.feed(s.recv(65536))\n" % TIMEOUT)
    p = subprocess.run(["setpriv", "--reuid", "nobody", "--regid",
                        "nogroup", "--clear-groups", "/usr/bin/python3", "-c",
                        code, sock], capture_output=True, text=True,
                       timeout=TIMEOUT * 3)
    check(p.stdout.split() == ["permission_denied"] * 3,
          "nobody refused: %r %r" % (p.stdout, p.stderr))


def main():
    d = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    os.chmod(d, 0o755)
    cache = os.path.join(d, "cache")
    sock = os.path.join(cache, "hycod.sock")
    vlog = os.path.join(d, "valgrind.log")
    log = open(os.path.join(d, "hycod.log"), "w")
    cmd = VALGRIND + ["--log-file=" + vlog, os.environ["HYCOD"], "-c",
                      os.path.join(TOP, "conf/config.yaml"),
                      "paths.cache_root=" + cache, "daemon.socket_mode=0666",
                      "retention.check_interval_s=0.5"]
    proc = subprocess.Popen(cmd, stderr=log)
    called = set()
    try:
        deadline = time.time() + TIMEOUT
        while not os.path.exists(sock) and time.time() < deadline and \
                proc.poll() is None:
            time.sleep(0.1)
        if not check(os.path.exists(sock), "hycod started under valgrind"):
            return 1
        session(sock, cache, called)
        if os.geteuid() == 0:
            refused_as_nobody(sock)
        else:
            print("valgrind: SKIPPED the refused call (needs root to run "
                  "a client as nobody)")
        missing = set(methods()) - called
        check(not missing, "every method of rpc.c called: missing %s" %
              sorted(missing))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
    text = open(vlog).read()
    summary = re.findall(r"ERROR SUMMARY: (\d+) errors", text)
    check(rc == 0, "hycod under valgrind exited %d (99: valgrind errors)" %
          rc)
    check(summary and summary[-1] == "0", "ERROR SUMMARY: %s errors" %
          (summary[-1] if summary else "?"))
    for kind in ("definitely lost", "indirectly lost"):
        m = re.search(kind + r": ([\d,]+) bytes", text)
        check(m is None or m.group(1) == "0", "%s: %s bytes" %
              (kind, m.group(1) if m else 0))
    print("valgrind: %d methods called: %s" % (len(called),
                                                ", ".join(sorted(called))))
    ok = check.summary()
    if ok and not os.environ.get("KEEP"):
        shutil.rmtree(d, ignore_errors=True)
    else:
        print("valgrind: logs kept in", d)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
