#!/usr/bin/python3
"""hycoctl_replies.py: hycoctl against a daemon that lies.

A stand-in daemon on its own socket first forwards each hycoctl command
to the real hycod and records the reply; then it answers the same
command with that reply changed:
  - every field in turn missing, or of another type: hycoctl must exit
    1 naming the field (text and --json alike), never print a figure;
  - NaN and infinities in every float, file names that are not UTF-8,
    control bytes, a field it does not know: --json must print what a
    strict JSON parser (no NaN, no duplicate keys) reads back as the
    reply, with NaN and infinities as null and each byte outside UTF-8
    as the code point of the same number (json.h).
Needs $HYCOD, $HYCOCTL and $TOP (set by make check)."""
import codecs
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import msgpack

from hytest import Checks, next_msg
from jsoncheck import strict_json

check = Checks("hycoctl replies")
# Containers: how many elements of each to change one at a time.
PER_CONTAINER = 2
codecs.register_error(
    "hyco_bytes",
    lambda e: ("".join(chr(b) for b in e.object[e.start:e.end]), e.end))


class StandIn:
    """A socket that answers each request with reply(method, params),
    a (error, result) pair."""

    def __init__(self, path):
        self.reply = None
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                u = msgpack.Unpacker(raw=True)
                while True:
                    msg = next_msg(conn, u)
                    if msg is None:
                        break
                    err, res = self.reply(msg[2].decode(), msg[3])
                    # Raw strings, so bytes that are not UTF-8 go out as
                    # str. Notifications around the reply, in the same
                    # write: the client skips them, and must not let the
                    # bytes after a reply overwrite it.
                    note = msgpack.packb([2, "note", [b"n" * 300]])
                    conn.sendall(note + msgpack.packb(
                        [1, msg[1], err, res], use_bin_type=False) + note)


class Real:
    """A client of the real hycod that keeps replies raw (bytes)."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.u = msgpack.Unpacker(raw=True)
        self.msgid = 0

    def call(self, method, params):
        self.msgid += 1
        self.s.sendall(msgpack.packb([0, self.msgid, method, params],
                                     use_bin_type=False))
        r = next_msg(self.s, self.u)
        return r[2], r[3]


def read_json(text):
    """strict_json, or the error as a value that equals nothing."""
    try:
        return strict_json(text)
    except ValueError as e:
        return e


def as_json(v):
    """What hycoctl --json must print for v, as json.loads returns it."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, bytes):
        return v.decode("utf-8", "hyco_bytes")
    if isinstance(v, list):
        return [as_json(x) for x in v]
    if isinstance(v, dict):
        return {as_json(k) if isinstance(k, bytes) else json.dumps(k):
                as_json(x) for k, x in v.items()}
    return v


def printable(key):
    """A key as hycoctl's message names it (decode.c's push)."""
    return bytes(b if 0x20 <= b < 0x7f else ord("?") for b in key).decode()


def is_data(v):
    """A map of names to maps (datasets), not one of fixed fields."""
    return isinstance(v, dict) and len(v) > 0 and all(
        isinstance(x, dict) for x in v.values())


def fields(v, path=""):
    """Every (path, container, key, required) of v, PER_CONTAINER per
    list or map of names; key None stands for "a key of v that is not a
    string". Only the fields of fixed maps are required."""
    if isinstance(v, dict):
        data = is_data(v)
        if data:
            yield (path + "." if path else "") + "?", v, None, False
        for i, (k, x) in enumerate(v.items()):
            if data and i >= PER_CONTAINER:
                break
            p = (path + "." if path else "") + printable(k)
            yield p, v, k, not data
            yield from fields(x, p)
    elif isinstance(v, list):
        for i, x in enumerate(v[:PER_CONTAINER]):
            p = "%s[%d]" % (path, i)
            yield p, v, i, False
            yield from fields(x, p)


def wrong(v):
    """A value of another type than v (an int may stand for a float)."""
    return 1 if isinstance(v, bytes) else b"x"


def mutations(result):
    """(what, path, changed result) for every field: missing, wrong type."""
    for path, container, key, required in fields(result):
        for what in ("missing", "wrong type"):
            if what == "missing" and not required:
                continue
            changed = msgpack.unpackb(msgpack.packb(result,
                                                    use_bin_type=False),
                                      raw=True, strict_map_key=False)
            target = changed
            for step in walk_to(result, container):
                target = target[step]
            if key is None:
                first = next(iter(target))
                target[1] = target.pop(first)
            elif what == "missing":
                del target[key]
            else:
                target[key] = wrong(target[key])
            yield what, path, changed


def walk_to(root, container, trail=()):
    """The keys that lead from root to container (by identity)."""
    if root is container:
        return trail
    items = root.items() if isinstance(root, dict) else \
        enumerate(root) if isinstance(root, list) else ()
    for k, x in items:
        found = walk_to(x, container, trail + (k,))
        if found is not None:
            return found
    return None


def lies(result):
    """result with every float NaN or infinite, in turn, plus bytes that
    are not UTF-8 and a field hycoctl does not know."""
    out = []
    specials = [float("nan"), float("inf"), float("-inf")]

    def floats(v):
        if isinstance(v, dict):
            return {k: floats(x) for k, x in v.items()}
        if isinstance(v, list):
            return [floats(x) for x in v]
        if isinstance(v, float):
            return specials[len(out) % 3]
        return v
    for _ in specials:
        changed = floats(result)
        changed[b"zz_unknown"] = {b"\xff\x01name\x7f": [float("nan"),
                                                        b"\xc3(\xed\xa0\x80"]}
        out.append(changed)
    return out


def run(ctl, sock, args):
    """Exit status, stdout as UTF-8 (undecodable: "" , which is no JSON),
    stderr."""
    p = subprocess.run([ctl, "--socket", sock] + args, capture_output=True,
                       timeout=30)
    try:
        out = p.stdout.decode("utf-8")
    except UnicodeDecodeError:
        out = "not UTF-8: %r" % p.stdout
    return p.returncode, out, p.stderr.decode("utf-8", "replace")


def setup_tree(real, cache):
    """Data for every reply to carry something: a dataset whose name is
    not UTF-8, cycles kept by policy (for prune items), a cycle to clean."""
    for ds in (b"ds_a", b"ds_\xff\xfe"):
        d = os.path.join(cache.encode(), b"tensors", ds)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, b"x.pt"), "wb") as f:
            f.write(b"t" * 1000)
    for cycle in (5, 6):
        err, r = real.call("get-cycle-dir", [{"kind": "synthetic",
                                              "cycle": cycle}])
        with open(os.path.join(r[b"path"], b"p.pt"), "wb") as f:
            f.write(b"p" * 100)


def main():
    ctl = os.environ["HYCOCTL"]
    d = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    cache = os.path.join(d, "cache")
    real_sock = os.path.join(cache, "hycod.sock")
    fake_sock = os.path.join(d, "stand-in.sock")
    log = open(os.path.join(d, "log"), "w")
    proc = subprocess.Popen([os.environ["HYCOD"], "-c",
                             os.path.join(os.environ["TOP"], "conf/config.yaml"),
                             "paths.cache_root=" + cache,
                             "retention.keep_last_cycles=1"], stderr=log)
    try:
        for _ in range(250):
            if os.path.exists(real_sock):
                break
            time.sleep(0.02)
        real = Real(real_sock)
        setup_tree(real, cache)
        fake = StandIn(fake_sock)
        # Ordered so that each finds what it needs: the removals last.
        commands = [
            ["ping"], ["cycle-dir", "--kind", "synthetic", "--cycle", "7"],
            ["summary", "-v"], ["prune", "--dry-run"],
            ["disk-check", "--required", "1K"], ["stats"], ["metrics"], ["reload"],
            ["cleanup", "--cycle", "5"],
            ["clean", "tensors", "--dataset", "ds_a", "--yes"],
            ["clean", "generated"],
        ]
        for args in commands:
            recorded = {}

            def forward(method, params):
                recorded["reply"] = real.call(method, params)
                return recorded["reply"]
            fake.reply = forward
            code, out, err = run(ctl, fake_sock, ["--json"] + args)
            if not check(code == 0 and "reply" in recorded,
                         "%s through the stand-in: %d %s" % (args, code, err)):
                continue
            result = recorded["reply"][1]
            check(read_json(out) == as_json(result),
                  "%s --json: %s" % (args, out))
            if args[0] == "summary":
                result[b"rescanning"] = [b"/a/root", b"/b/root"]
            one_command(ctl, fake, fake_sock, args, result)
    finally:
        proc.send_signal(signal.SIGTERM)
        check(proc.wait(timeout=10) == 0, "clean exit on SIGTERM")
        subprocess.run(["rm", "-rf", d])
    return 0 if check.summary() else 1


def one_command(ctl, fake, sock, args, result):
    n = 0
    for what, path, changed in mutations(result):
        fake.reply = lambda m, p, r=changed: (None, r)
        for mode in ([], ["--json"]):
            code, out, err = run(ctl, sock, mode + args)
            n += 1
            check(code == 1 and "reply field " + path + " is" in err and
                  out == "", "%s %s: field %s %s: exit %d, stderr %r, "
                  "stdout %r" % (mode, args, path, what, code, err, out))
    check(n > 0, "%s: no field to change" % args)
    fake.reply = lambda m, p: (None, 5)
    code, out, err = run(ctl, sock, args)
    check(code == 1 and "not a map" in err, "%s: result 5: %s" % (args, err))
    for changed in lies(result):
        fake.reply = lambda m, p, r=changed: (None, r)
        code, out, err = run(ctl, sock, ["--json"] + args)
        got = read_json(out)
        check(code in (0, 2) and got == as_json(changed),
              "%s --json on NaN, inf, bytes: exit %d, %s, read back %r" %
              (args, code, out, got))
        code, out, err = run(ctl, sock, args)
        check(code in (0, 2), "%s on NaN, inf, bytes: exit %d %s" %
              (args, code, err))


if __name__ == "__main__":
    sys.exit(main())
