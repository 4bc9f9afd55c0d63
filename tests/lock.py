#!/usr/bin/python3
"""lock.py: one hycod per cache tree (daemon/lock.h), with real daemons.

  - a second daemon on the same tree exits 1 naming the first's pid and
    socket: same config; another socket; another config file naming the
    same root; the same root through a symlink
  - a root elsewhere shared by two configs; a tree inside another's
    root, started second and started first; trees nested but apart
    (allowed)
  - nothing of the first is touched by a refused second
  - after SIGKILL a restart (even with another socket) succeeds and
    the lock file names the new daemon
  - hycoctl with a config whose socket reaches another daemon, or none,
    names the daemon that owns the config's tree
Needs $HYCOD, $HYCOCTL and $TOP (set by make check)."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hytest import Checks, write  # noqa: E402
from removal import Hycod  # noqa: E402

check = Checks("lock")
CONF = os.path.join(os.environ["TOP"], "conf/config.yaml")


def hycod(*args, config=CONF):
    """Run a hycod expected to refuse: (exit status, stderr)."""
    p = subprocess.run([os.environ["HYCOD"], "-c", config] + list(args),
                       capture_output=True, timeout=30)
    return p.returncode, p.stderr.decode(errors="replace")


def hycoctl(*args):
    p = subprocess.run([os.environ["HYCOCTL"]] + list(args),
                       capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode(), p.stderr.decode(errors="replace")


def refused(what, rc, err, pid, sock):
    return check(rc == 1 and "pid %d" % pid in err and sock in err,
                 "%s: exit %d, naming pid %d and %s: %r" %
                 (what, rc, pid, sock, err))


def config(path, **keys):
    """A config file of dotted keys (the rest: built-in defaults)."""
    tree = {}
    for k, v in keys.items():
        d = tree
        parts = k.split(".")
        for p in parts[:-1]:
            d = d.setdefault(p, {})
        d[parts[-1]] = v
    with open(path, "w") as f:
        for section, values in tree.items():
            f.write("%s:\n" % section)
            for k, v in values.items():
                f.write("  %s: %s\n" % (k, v))
    return path


def lock_text(path):
    with open(path) as f:
        return f.read()


def test_same_tree(d):
    a = Hycod(os.path.join(d, "a"))
    try:
        pid, sock = a.proc.pid, a.sock
        lock = os.path.join(a.cache, ".hycod.lock")
        text = lock_text(lock)
        check(text.startswith("pid %d\nsocket %s\ncache_root %s\n" %
                              (pid, sock, a.cache)),
              "lock file names pid, socket, root: %r" % text)
        root = "paths.cache_root=" + a.cache
        rc, err = hycod(root)
        refused("same config", rc, err, pid, sock)
        other = os.path.join(d, "other.sock")
        rc, err = hycod(root, "--socket", other)
        refused("another socket", rc, err, pid, sock)
        check(not os.path.exists(other), "no socket made at %s" % other)
        cfg = config(os.path.join(d, "b.yaml"), **{
            "paths.cache_root": a.cache,
            "daemon.socket": os.path.join(d, "b.sock")})
        rc, err = hycod(config=cfg)
        refused("another config file, same root", rc, err, pid, sock)
        link = os.path.join(d, "link")
        os.symlink(a.cache, link)
        rc, err = hycod("paths.cache_root=" + link, "--socket", other)
        refused("the same root through a symlink", rc, err, pid, sock)
        # The first is untouched: its socket, its lock file, its answers.
        check(os.path.exists(sock) and lock_text(lock) == text,
              "socket and lock file of the first left alone")
        err, r = a.call("ping")
        check(err is None and r["pid"] == pid, "the first still answers")
        # SIGKILL: the kernel drops the lock; a restart is not blocked,
        # even on another socket, and the file names the new daemon.
        a.kill()
        a.overrides = ["daemon.socket=" + other]
        a.sock = other
        a.start()
        text = lock_text(lock)
        check(text.startswith("pid %d\nsocket %s\n" % (a.proc.pid, other)),
              "after SIGKILL: restarted, lock file rewritten: %r" % text)
        err, r = a.call("ping")
        check(err is None and r["pid"] == a.proc.pid, "restart answers")
    finally:
        check(a.stop() == 0, "same tree: clean exit")


def test_roots_elsewhere(d):
    shared = os.path.join(d, "shared", "tensors")
    os.makedirs(shared)
    a = Hycod(os.path.join(d, "a"), ["paths.tensor_cache_dir=" + shared])
    b = None
    try:
        pid, sock = a.proc.pid, a.sock
        beside = os.path.join(d, "shared", ".tensors.hycod.lock")
        check(os.path.exists(beside) and
              lock_text(beside).startswith("pid %d\n" % pid),
              "a root elsewhere: its lock file beside it")
        inside = [n for _, _, fs in os.walk(shared) for n in fs]
        check(inside == [], "no file inside the root: %r" % inside)
        err, s = a.call("summary")
        check(s["tensors"] == 0, "the lock file is not tallied: %r" %
              s["tensors"])
        rc, err = hycod("paths.cache_root=" + os.path.join(d, "b"),
                        "paths.tensor_cache_dir=" + shared)
        refused("a root elsewhere shared", rc, err, pid, sock)
        check("paths.tensor_cache_dir" in err, "names the key: %r" % err)
        # A cache root inside a's tensor root: its roots are in there.
        rc, err = hycod("paths.cache_root=" + os.path.join(shared, "x"))
        refused("a tree inside a root", rc, err, pid, sock)
        # An eval root inside a's: refused.
        rc, err = hycod("paths.cache_root=" + os.path.join(d, "c"),
                        "paths.eval_cache_dir=" +
                        os.path.join(a.cache, "evaluation", "e"))
        refused("a root inside another's root", rc, err, pid, sock)
        # Nested cache roots whose roots and trash are apart: both run.
        b = Hycod(os.path.join(a.cache, "apart"))
        err, r = b.call("ping")
        check(err is None, "a cache root inside another's, roots apart, "
              "runs")
        check(b.stop() == 0, "apart: clean exit")
        b = None
    finally:
        if b is not None:
            b.stop()
        check(a.stop() == 0, "roots elsewhere: clean exit")


def test_inner_first(d):
    """A daemon on a tree inside another's root, started first: the
    outer one finds its lock file in its first scan and exits 1."""
    outer_cache = os.path.join(d, "outer")
    inner = Hycod(os.path.join(outer_cache, "tensors", "in"))
    try:
        write(os.path.join(outer_cache, "tensors", "ds", "t.pt"), 10)
        rc, err = hycod("paths.cache_root=" + outer_cache)
        refused("the outer daemon second", rc, err, inner.proc.pid,
                inner.sock)
        check("inside this one" in err, "says why: %r" % err)
        err, r = inner.call("ping")
        check(err is None and r["pid"] == inner.proc.pid,
              "the inner one still answers")
    finally:
        check(inner.stop() == 0, "inner: clean exit")
    # Once it is gone, the outer starts (its lock file is stale).
    outer = Hycod(outer_cache)
    err, r = outer.call("ping")
    check(err is None, "outer starts once the inner stopped")
    check(outer.stop() == 0, "outer: clean exit")


def test_hycoctl(d):
    a = Hycod(os.path.join(d, "a"))
    other = Hycod(os.path.join(d, "other"))
    try:
        # The config's socket: nothing there.
        cfg = config(os.path.join(d, "nobody.yaml"), **{
            "paths.cache_root": a.cache,
            "daemon.socket": os.path.join(d, "nobody.sock")})
        rc, out, err = hycoctl("-c", cfg, "ping")
        check(rc == 3 and "owned by hycod pid %d on %s" %
              (a.proc.pid, a.sock) in err and "--socket " + a.sock in err,
              "unreachable: exit 3 naming the owner: %d %r" % (rc, err))
        # The config's socket: another daemon's.
        cfg = config(os.path.join(d, "wrong.yaml"), **{
            "paths.cache_root": a.cache, "daemon.socket": other.sock})
        err, r = other.call("summary")
        before = r["requests"]
        for cmd in (["ping"], ["summary"], ["clean", "all", "--yes"]):
            rc, out, err = hycoctl("-c", cfg, *cmd)
            check(rc == 1 and out == "" and
                  "(pid %d) serves %s, not %s" % (other.proc.pid,
                                                   other.cache, a.cache)
                  in err and "owned by hycod pid %d on %s" %
                  (a.proc.pid, a.sock) in err,
                  "wrong daemon, %s: exit 1 naming the owner: %d %r" %
                  (cmd, rc, err))
        err, r = other.call("summary")
        check(err is None and r["requests"] == before + 4,
              "the wrong daemon got only the pings: %r after %r" %
              (r["requests"], before))
        # The right socket given with the same config: served.
        rc, out, err = hycoctl("-c", cfg, "--socket", a.sock, "ping")
        check(rc == 0 and "pid %d" % a.proc.pid in out,
              "--socket of the owner: %d %r" % (rc, err))
        # A socket given without a config: no config to compare with.
        rc, out, err = hycoctl("--socket", other.sock, "ping")
        check(rc == 0, "--socket alone: not checked: %d %r" % (rc, err))
        # A tree nobody holds.
        cfg = config(os.path.join(d, "free.yaml"), **{
            "paths.cache_root": os.path.join(d, "free"),
            "daemon.socket": other.sock})
        rc, out, err = hycoctl("-c", cfg, "summary")
        check(rc == 1 and "no hycod owns %s" % os.path.join(d, "free")
              in err, "a tree nobody holds: %d %r" % (rc, err))
        # Its own config: served.
        cfg = config(os.path.join(d, "right.yaml"), **{
            "paths.cache_root": a.cache})
        rc, out, err = hycoctl("-c", cfg, "ping")
        check(rc == 0, "the owner's config: %d %r" % (rc, err))
    finally:
        check(a.stop() == 0 and other.stop() == 0, "hycoctl: clean exits")


def main():
    d = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    try:
        for name, t in (("same", test_same_tree),
                        ("elsewhere", test_roots_elsewhere),
                        ("inner", test_inner_first),
                        ("hycoctl", test_hycoctl)):
            os.makedirs(os.path.join(d, name))
            t(os.path.join(d, name))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return 0 if check.summary() else 1


if __name__ == "__main__":
    sys.exit(main())
