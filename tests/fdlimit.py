#!/usr/bin/python3
"""fdlimit.py: hycod against RLIMIT_NOFILE at start-up.

  - a soft limit below what the config needs is raised to exactly that
    (read back from /proc/PID/limits), and hycod serves;
  - a hard limit below it refuses the start: exit 1, a message naming
    the figures and daemon.max_clients, nothing listening;
  - fewer clients or pool threads need fewer: the same hard limit is
    enough once daemon.max_clients and UV_THREADPOOL_SIZE are lowered.
Needs $HYCOD and $TOP (set by make check)."""
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hytest import Checks  # noqa: E402

check = Checks("fdlimit")
# What fdlimit.c counts: clients + threads x (512 levels + 17 or 5) + fixed.
PER_THREAD = max(512 + 1 + 16, 512 + 1 + 4)
FIXED = 32 + 6 + 32 + 1


def need(clients, threads):
    return clients + threads * PER_THREAD + FIXED


def run(root, soft, hard, overrides=(), env=None):
    """Start hycod under (soft, hard); (proc, log path, socket path)."""
    os.makedirs(root)
    cache = os.path.join(root, "cache")
    log = os.path.join(root, "hycod.log")
    sock = os.path.join(cache, "hycod.sock")
    e = dict(os.environ)
    e.pop("UV_THREADPOOL_SIZE", None)
    e.update(env or {})

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    p = subprocess.Popen([os.environ["HYCOD"], "-c",
                          os.path.join(os.environ["TOP"], "conf/config.yaml"),
                          "paths.cache_root=" + cache] + list(overrides),
                         stderr=open(log, "w"), env=e, preexec_fn=limit)
    deadline = time.time() + 30
    while not os.path.exists(sock) and p.poll() is None and \
            time.time() < deadline:
        time.sleep(0.01)
    return p, log, sock


def soft_limit(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    return None


def stop(p):
    p.terminate()
    return p.wait(30)


def main():
    root = tempfile.mkdtemp(prefix="hyco-fdlimit-")
    _, hard_now = resource.getrlimit(resource.RLIMIT_NOFILE)
    # Raised: default config (1024 clients, 4 threads) from 256.
    want = need(1024, 4)
    if hard_now != resource.RLIM_INFINITY and hard_now < want:
        print("fdlimit: SKIPPED raising: hard limit %d is below %d" %
              (hard_now, want))
    else:
        hard = want + 1000 if hard_now == resource.RLIM_INFINITY else \
            min(hard_now, want + 1000)
        p, log, sock = run(os.path.join(root, "a"), 256, hard)
        check(p.poll() is None and os.path.exists(sock),
              "soft 256: hycod started (log %s)" % log)
        check(soft_limit(p.pid) == want, "soft limit raised to %d: %s" %
              (want, soft_limit(p.pid)))
        text = open(log).read()
        check("soft limit raised from 256 to %d" % want in text,
              "raise logged: %r" % text[-300:])
        check(stop(p) == 0, "raised: clean exit")

    # Refused: hard 512, far below; the message names what counts.
    p, log, sock = run(os.path.join(root, "b"), 256, 512)
    rc = p.wait(30)
    text = open(log).read()
    check(rc == 1, "hard 512: exit %s" % rc)
    check(not os.path.exists(sock), "hard 512: nothing listening")
    m = re.search(r"needs up to (\d+) file descriptors "
                  r"\(daemon.max_clients=1024 .*4 thread-pool threads "
                  r"\(UV_THREADPOOL_SIZE\).*the hard limit is 512",
                  text)
    check(m is not None and int(m.group(1)) == want,
          "refusal names the figures and keys: %r" % text)

    # Within it once the config asks for less.
    small = need(16, 1)
    p, log, sock = run(os.path.join(root, "c"), 64, small,
                       ["daemon.max_clients=16"],
                       {"UV_THREADPOOL_SIZE": "1"})
    check(p.poll() is None and os.path.exists(sock),
          "max_clients=16, 1 thread: fits in %d (log %s)" % (small, log))
    check(soft_limit(p.pid) == small, "soft limit %d: %s" %
          (small, soft_limit(p.pid)))
    check(stop(p) == 0, "small: clean exit")
    p, log, sock = run(os.path.join(root, "d"), 64, small - 1,
                       ["daemon.max_clients=16"],
                       {"UV_THREADPOOL_SIZE": "1"})
    check(p.wait(30) == 1, "one descriptor short: refused")
    ok = check.summary()
    if not ok:
        print("fdlimit: logs kept in", root)
        sys.exit(1)
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
