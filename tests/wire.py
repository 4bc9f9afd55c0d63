#!/usr/bin/python3
"""wire.py: talk to hycod with Debian's python3-msgpack, speaking the
public msgpack-RPC spec directly, to prove the wire format is the
standard one:

  - every method's reply is decoded whole, and holds exactly the fields
    protocol/PROTOCOL.md lists, each of its type (a map header counted
    wrong would lose or invent fields and garble the stream after it)
  - two removals of the same thing in one write free its bytes once
  - every counter summary reports moves when what it counts happens
  - config sends the tree --print-config prints, each value and key of
    the type OmegaConf's loader reads from the printed YAML
Needs $HYCOD and $TOP (set by make check)."""
import math
import os
import subprocess
import sys
import tempfile
import threading
import time

import msgpack
import yaml
from omegaconf._utils import get_yaml_loader

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hytest  # noqa: E402
from hytest import Checks, write  # noqa: E402
from removal import Hycod  # noqa: E402

check = Checks("wire")

# The result of each method, as PROTOCOL.md gives it: field -> type, or
# a nested spec ({...} a map with these fields, [spec] a list of them,
# ("map", spec) a map whose values all have spec, a frozenset one of
# its types).
ERROR = {"code": str, "message": str}
PING = {"version": str, "pid": int, "uptime_s": float, "connections": int,
        "requests": int, "cache_root": str}
CYCLE_DIR = {"path": str, "created": bool}
CLEANUP_CYCLE = {"freed_bytes": int, "leased": bool, "removed": [str]}
CLEANUP_GENERATED = {"freed_bytes": int}
CLEAN = {"freed_bytes": int, "removed": [str]}
DISK_CHECK = {"ok": bool, "available_bytes": int, "required_bytes": int,
              "path": str}
PRUNE = {"dry_run": bool, "exact": bool,
         "items": [{"path": str, "bytes": int, "files": int, "remove": bool,
                    "why": str}]}
EFFECTIVE = {k: str for k in (
    "cache_root", "tensor_cache_dir", "generated_cache_dir", "eval_cache_dir",
    "synthetic_pred_cache", "physical_pred_cache", "dset_name", "socket",
    "trash_dir")}
CODES = ("invalid_argument", "unknown_method", "too_large", "io_error",
         "no_space", "internal", "permission_denied")
SUMMARY = {
    "tensors": int, "generated": int, "eval": int, "total": int,
    "files": int,
    "datasets": ("map", {"tensors": int, "generated": int, "eval": int}),
    "cycles": [{"kind": str, "cycle": int, "bytes": int, "files": int}],
    "disk": {"free_bytes": int, "total_bytes": int, "path": str},
    "exact": bool, "watched_dirs": int, "unwatched_dirs": int,
    "tracked_files": int, "index_bytes": int, "last_rescan": float,
    "overflows": int, "rescans": int, "events": int, "reconciled": int,
    "arrivals": int, "scan_errors": int, "last_scan_s": float,
    "rescanning": [str],
    "trash_bytes": int, "trash_items": int, "trash_freed_bytes": int,
    "pruned_bytes": int, "pruned_cycles": int, "pruned_datasets": int,
    "refused": int, "prune_passes": int, "idle_passes": int,
    "pruning": bool,
    "connections": int, "connections_accepted": int,
    "refused_max_clients": int, "messages": int, "closed_too_large": int,
    "closed_bad_input": int, "paused_reads": int, "requests": int,
    "errors": {c: int for c in CODES},
    "filesystems": [{
        "path": str, "mount": str, "fstype": str, "source": str,
        "device": str, "roots": [str], "free_bytes": int,
        "total_bytes": int, "free_inodes": int, "total_inodes": int,
        "level": str, "reason": str,
        "time_to_full_s": frozenset({float, type(None)}),
        "fill_bytes_per_s": float, "warn_below_bytes": int,
        "critical_below_bytes": int, "warn_below_inodes": int,
        "critical_below_inodes": int, "sampled_at": float, "error": str}],
    "alert_level": str,
    "alerts": {"transitions": int, "samples": int, "sample_errors": int,
               "hook_runs": int, "hook_failures": int, "hook_timeouts": int,
               "hook_coalesced": int},
    "scanning": bool,
    "closed_too_deep": int, "frame_steps": int, "jobs": int,
    "paused_max_jobs_per_client": int, "paused_max_jobs": int,
    "asked": int, "asked_forgotten": int, "busy_poll_seconds": float,
}
RELOAD_CHANGE = {"key": str, "from": str, "to": str}
RELOAD = {"ok": bool, "changed": [RELOAD_CHANGE], "refused": [RELOAD_CHANGE],
          "errors": [str]}

KINDS = {"synthetic": int, "physical": int}
STATS_DATASET = {"hits": KINDS, "misses": KINDS, "last_asked": float}
EVENT_TYPES = ("alert", "cycle_created", "cycle_removed", "prune",
               "exact_lost", "exact_regained", "reload", "shutdown",
               "dropped")
STATS = {
    "since": float, "latency_buckets_us": [int],
    "methods": ("map", {"requests": int, "errors": {c: int for c in CODES},
                        "latency": {"count": int, "sum_s": float,
                                    "counts": [int]}}),
    "cycle_dirs": {"max_datasets": int,
                   "datasets": ("map", STATS_DATASET),
                   "other": STATS_DATASET},
    "cycles": [{"kind": str, "cycle": int, "bytes": int, "files": int}],
    "events": {"subscribers": int, "subscribes": int, "notifications": int,
               "dropped": int, "emitted": {t: int for t in EVENT_TYPES}},
}
METRICS = {"text": str, "content_type": str}
SUBSCRIBE = {"events": [str], "max_queued_bytes": int}
UNSUBSCRIBE = {"was_subscribed": bool}


def mismatch(v, spec, where="result"):
    """Where v differs from spec, or None."""
    if isinstance(spec, (dict, tuple)) and not isinstance(v, dict):
        return "%s: not a map: %r" % (where, v)
    if isinstance(spec, dict):
        if set(v) != set(spec):
            return "%s: fields %s, expected %s" % (where, sorted(v),
                                                   sorted(spec))
        inner = [(where + "." + k, v[k], s) for k, s in spec.items()]
    elif isinstance(spec, tuple):
        inner = [("%s[%r]" % (where, k), e, spec[1]) for k, e in v.items()]
    elif isinstance(spec, list):
        if not isinstance(v, list):
            return "%s: not a list: %r" % (where, v)
        inner = [("%s[%d]" % (where, i), e, spec[0])
                 for i, e in enumerate(v)]
    elif isinstance(spec, frozenset):
        if type(v) not in spec:
            return "%s: %r is none of %s" % (where, v, sorted(
                t.__name__ for t in spec))
        inner = []
    elif type(v) is not spec:   # bool is an int to Python: exact types
        return "%s: %r is not %s" % (where, v, spec.__name__)
    else:
        inner = []
    for w, e, s in inner:
        bad = mismatch(e, s, w)
        if bad:
            return bad
    return None


class Conn(hytest.Conn):
    """One connection; replies are read whole and nothing may trail."""

    def call(self, msgid, method, params=None, spec=None):
        """The reply to one request; checked against spec when given."""
        self.send([0, msgid, method, [params] if params else []])
        r = self.next()
        if spec is False:       # polling: only the last one is checked
            return r
        check(r is not None and len(r) == 4 and r[0] == 1 and r[1] == msgid,
              "%s: a response to msgid %d: %r" % (method, msgid, r))
        extra = list(self.u)
        check(not extra, "%s: bytes after the reply: %r" % (method, extra))
        if spec is not None:
            bad = mismatch(r[3], spec, method) if r[2] is None else \
                "%s: error %r" % (method, r[2])
            check(bad is None, bad)
        elif r[2] is not None:
            bad = mismatch(r[2], ERROR, method + " error")
            check(bad is None, bad)
        return r

    def summary(self, msgid=1, checked=True):
        return self.call(msgid, "summary", spec=SUMMARY if checked
                         else False)[3]


def sees(c, pred, what):
    """Wait (summary by summary) until pred(summary) holds."""
    deadline = time.time() + 10
    while not pred(c.summary(checked=False)) and time.time() < deadline:
        time.sleep(0.02)
    return check(pred(c.summary()), what)


def cycle_bytes(s, kind, cycle):
    return sum(c["bytes"] for c in s["cycles"]
               if c["kind"] == kind and c["cycle"] == cycle)


def pair(c, method, params, ids=(501, 502)):
    """Two identical requests in one write; both replies, by msgid."""
    c.send(*[[0, i, method, [params]] for i in ids])
    got = {}
    for _ in ids:
        r = c.next()
        check(r is not None and r[2] is None, "%s pair: %r" % (method, r))
        if r is not None:
            got[r[1]] = r[3]
    return [got.get(i) or {"freed_bytes": 0, "removed": []} for i in ids]


def test_methods(c, h, proc):
    """Every method once: shapes, and what the old test asserted."""
    r = c.call(7, "ping", spec=PING)
    check(r[2] is None and r[3]["pid"] == proc.pid, "ping pid %r" % (r,))
    check(r[3]["cache_root"] == h.cache, "ping cache_root %r" % (r,))
    r = c.call(8, "get-cycle-dir", {"kind": "physical", "cycle": 42,
                                    "dataset": "heat_64"}, CYCLE_DIR)
    check(r[3]["path"].endswith("/physical_preds/cycle_042/heat_64"),
          "get-cycle-dir %r" % (r,))
    check(r[3]["created"] is True, "created")
    check(os.path.isdir(r[3]["path"]), "directory exists")
    r = c.call(9, "get-cycle-dir", {"kind": "physical", "cycle": 1,
                                    "dataset": "a\x00b"})
    check(r[2]["code"] == "invalid_argument" and r[3] is None,
          "NUL in dataset %r" % (r,))
    r = c.call(10, "nope")
    check(r[2]["code"] == "unknown_method", "unknown method")
    c.send([0, 11, "summary", {"not": "an array"}])
    r = c.next()
    check(r[2]["code"] == "invalid_argument", "params not an array")
    # A notification gets no reply; the next request's does come.
    c.send([2, "ping", []])
    s = c.summary(12)
    for key in ("tensors", "generated", "eval", "total", "files",
                "datasets", "cycles", "disk"):
        check(key in s, "summary has " + key)
    write(os.path.join(h.cache, "tensors", "burgers_128", "t.pt"), 10)
    sees(c, lambda s: s["datasets"].get("burgers_128", {}).get("tensors")
         == 10 and any(x["cycle"] == 42 for x in s["cycles"]),
         "summary: a dataset and a cycle, fields and all")
    c.call(13, "disk-check", {"required_bytes": 1}, DISK_CHECK)
    r = c.call(14, "prune", {"dry_run": True}, PRUNE)
    check(r[3]["dry_run"] is True, "prune dry_run")
    c.call(15, "cleanup-cycle", {"cycle": 42, "kind": "physical"},
           CLEANUP_CYCLE)
    c.call(16, "cleanup-generated", {}, CLEANUP_GENERATED)
    c.call(17, "clean", {"target": "eval", "confirm": True}, CLEAN)
    r = c.call(18, "stats", spec=STATS)
    check(r[3]["methods"]["get-cycle-dir"]["requests"] == 2 and
          r[3]["methods"]["unknown"]["errors"]["unknown_method"] == 1 and
          len(r[3]["methods"]["ping"]["latency"]["counts"]) ==
          len(r[3]["latency_buckets_us"]) + 1,
          "stats: per method, unknown methods apart: %r" % r[3]["methods"])
    r = c.call(19, "metrics", spec=METRICS)
    check("\nhyco_build_info{version=\"0.1.0\"} 1\n" in r[3]["text"],
          "metrics: the exposition")
    # Subscribed to a type nothing here makes: no event between replies.
    r = c.call(20, "subscribe", {"events": ["prune"]}, SUBSCRIBE)
    check(r[3]["events"] == ["prune"], "subscribe %r" % (r,))
    r = c.call(21, "unsubscribe", spec=UNSUBSCRIBE)
    check(r[3]["was_subscribed"] is True, "unsubscribe %r" % (r,))
    r = c.call(22, "reload", None, RELOAD)
    check(r[3]["ok"] is True and r[3]["changed"] == [] and
          r[3]["errors"] == [], "reload of the same files: %r" % (r,))
    r = c.call(23, "summary", {"wait": False}, SUMMARY)
    check(r[3]["scanning"] is False,
          "summary wait false once the scan is in: %r" % (r[3]["scanning"],))
    r = c.call(24, "summary", {"wait": 1})
    check(r[2] is not None and r[2]["code"] == "invalid_argument",
          "summary wait not a bool: %r" % (r,))
    # Pipelined: many requests in one write, every reply comes back.
    c.send(*[[0, 100 + i, "ping", []] for i in range(500)])
    ids = [c.next()[1] for _ in range(500)]
    check(ids == list(range(100, 600)), "pipelined replies")


def test_freed_once(c, h):
    """The same removal twice in one read batch frees the bytes once."""
    gen = os.path.join(h.cache, "generated")
    phys = os.path.join(gen, "physical_preds", "cycle_007")
    write(os.path.join(phys, "heat_64", "a.bin"), 3000)
    write(os.path.join(phys, "heat_64", "b.bin"), 1234)
    sees(c, lambda s: cycle_bytes(s, "physical", 7) == 4234,
         "cycle 7 indexed")
    a, b = pair(c, "cleanup-cycle", {"cycle": 7})
    check(sorted([a["freed_bytes"], b["freed_bytes"]]) == [0, 4234],
          "cleanup-cycle twice in one write: %r, %r" % (a, b))
    check(sorted([a["removed"], b["removed"]]) == [[], [phys]],
          "the cycle is removed by one of them: %r, %r" % (a, b))
    # Both kinds: the two may share the work, never count it twice.
    paths = []
    for kind, n in (("synthetic", 1000), ("physical", 2000)):
        paths.append(os.path.join(gen, kind + "_preds", "cycle_008"))
        write(os.path.join(paths[-1], "heat_64", "p.bin"), n)
    sees(c, lambda s: cycle_bytes(s, "synthetic", 8) +
         cycle_bytes(s, "physical", 8) == 3000, "cycle 8 indexed")
    a, b = pair(c, "cleanup-cycle", {"cycle": 8})
    check(a["freed_bytes"] + b["freed_bytes"] == 3000 and
          sorted(a["removed"] + b["removed"]) == sorted(paths),
          "both kinds, twice: freed once in all: %r, %r" % (a, b))
    for d, n in ((os.path.join(gen, "synthetic_preds", "cycle_009",
                               "heat_64"), 700),
                 (os.path.join(gen, "physical_preds", "cycle_010",
                               "burgers_128"), 800)):
        write(os.path.join(d, "p.bin"), n)
    sees(c, lambda s: cycle_bytes(s, "synthetic", 9) == 700 and
         cycle_bytes(s, "physical", 10) == 800, "cycles 9, 10 indexed")
    a, b = pair(c, "clean", {"target": "generated", "dataset": "heat_64",
                             "confirm": True})
    check(a["freed_bytes"] + b["freed_bytes"] == 700 and
          len(a["removed"] + b["removed"]) == 1,
          "clean of a dataset, twice: freed once: %r, %r" % (a, b))
    a, b = pair(c, "cleanup-generated", {})
    check(a["freed_bytes"] + b["freed_bytes"] == 800,
          "cleanup-generated twice: freed once: %r, %r" % (a, b))


def test_counters(c, h):
    """Each counter of summary, made to move by what it counts."""
    sees(c, lambda s: s["trash_items"] == 0, "trash empty")
    s0 = c.summary()
    for i in range(3):
        c.call(20 + i, "ping", spec=PING)
    c.send([2, "ping", []])
    # Figures at most DISK_SUMMARY_MAX_AGE_MS (100 ms) old: older ones
    # are sampled for the summary.
    time.sleep(0.15)
    s1 = c.summary()

    def moved(key, n, before, after):
        check(after[key] - before[key] == n, "%s moved by %d: %d -> %d" %
              (key, n, before[key], after[key]))

    moved("messages", 5, s0, s1)    # 3 pings, a notification, a summary
    # Each summary samples every filesystem sampled more than 100 ms
    # before it.
    check(s1["alerts"]["samples"] - s0["alerts"]["samples"] >=
          len(s1["filesystems"]) >= 1, "alerts.samples moved: %d -> %d" %
          (s0["alerts"]["samples"], s1["alerts"]["samples"]))
    check(s1["disk"]["total_bytes"] == s1["filesystems"][0]["total_bytes"]
          and "cache_root" in s1["filesystems"][0]["roots"],
          "disk is the cache root's filesystem: %r" % s1["filesystems"])
    moved("requests", 5, s0, s1)
    # Not a request: framed, never handled; not msgpack: not framed.
    for raw in (msgpack.packb({"hello": 1}), b"\xc1"):
        o = Conn(h.sock)
        o.s.sendall(raw)
        check(o.next() is None, "bad input %r closes" % (raw,))
        o.close()
    # A request over max_request_bytes: answered, then closed.
    o = Conn(h.sock)
    o.send([0, 5, "ping", [{"pad": "x" * 70000}]])
    r = o.next()
    check(r is not None and r[2]["code"] == "too_large" and
          o.next() is None, "too_large, then closed: %r" % (r,))
    o.close()
    # The connection counts: this one and one more open now.
    o = Conn(h.sock)
    o.call(1, "ping", spec=PING)
    s2 = c.summary()
    check(s2["connections"] == 2, "connections: %d" % s2["connections"])
    o.close()
    moved("connections_accepted", 4, s1, s2)
    moved("closed_bad_input", 2, s1, s2)
    moved("closed_too_large", 1, s1, s2)
    moved("messages", 3, s1, s2)    # {"hello"}, ping, summary
    moved("requests", 2, s1, s2)    # ping, summary
    # One error reply of each code a test can cause; internal needs a
    # fault (out of memory, a thread pool refusing work): it stays 0.
    os.makedirs(os.path.join(h.cache, "generated", "synthetic_preds"),
                exist_ok=True)
    write(os.path.join(h.cache, "generated", "synthetic_preds", "cycle_005"),
          1)
    c.call(30, "get-cycle-dir", {"kind": "synthetic", "cycle": "5"})
    c.call(31, "nope")
    r = c.call(32, "get-cycle-dir", {"kind": "synthetic", "cycle": 5})
    check(r[2] is not None and r[2]["code"] == "io_error",
          "cycle_005 a file: io_error %r" % (r,))
    s3 = c.summary()
    for code, n in (("invalid_argument", 1), ("unknown_method", 1),
                    ("io_error", 1), ("too_large", 0), ("no_space", 0),
                    ("internal", 0), ("permission_denied", 0)):
        moved(code, n, s2["errors"], s3["errors"])
    moved("too_large", 1, s1["errors"], s2["errors"])
    check(s3["errors"]["internal"] == 0, "no internal error")
    # A client that does not read its replies: reading it is paused.
    o = Conn(h.sock)
    n = 30000
    sender = threading.Thread(target=o.send, args=[[0, i, "ping", []]
                                                   for i in range(n)])
    sender.start()
    sees(c, lambda s: s["paused_reads"] > s3["paused_reads"],
         "paused_reads moved: a client not reading")
    got = sum(1 for _ in range(n) if o.next() is not None)
    sender.join()
    check(got == n, "every reply came once it read: %d of %d" % (got, n))
    o.close()
    # Bytes the trash deleted: exactly the cycle's, with wait.
    d = os.path.join(h.cache, "generated", "physical_preds", "cycle_011")
    write(os.path.join(d, "heat_64", "q.bin"), 5555)
    sees(c, lambda s: cycle_bytes(s, "physical", 11) == 5555 and
         s["trash_items"] == 0, "cycle 11 indexed, trash empty")
    s4 = c.summary()
    r = c.call(40, "cleanup-cycle", {"cycle": 11, "wait": True},
               CLEANUP_CYCLE)
    s5 = c.summary()
    moved("trash_freed_bytes", 5555, s4, s5)


def test_limits(root):
    """Counters only limits move: max_clients, refuse_below, retention."""
    h = Hycod(root, ["daemon.max_clients=2", "retention.refuse_below=100%",
                     "retention.keep_last_cycles=1",
                     "retention.check_interval_s=3600"])
    try:
        c = Conn(h.sock)
        s0 = c.summary()
        o = Conn(h.sock)
        o.call(1, "ping", spec=PING)
        x = Conn(h.sock)
        check(x.next() is None, "over max_clients: closed at accept")
        x.close()
        r = c.call(2, "get-cycle-dir", {"kind": "synthetic", "cycle": 3})
        check(r[2] is not None and r[2]["code"] == "no_space",
              "below refuse_below: no_space %r" % (r,))
        s1 = c.summary()
        check(s1["refused_max_clients"] - s0["refused_max_clients"] == 1,
              "refused_max_clients moved by 1")
        check(s1["errors"]["no_space"] - s0["errors"]["no_space"] == 1 and
              s1["refused"] - s0["refused"] == 1, "no_space counted")
        o.close()
        for n in (1, 2):
            write(os.path.join(h.cache, "generated", "synthetic_preds",
                               "cycle_%03d" % n, "heat_64", "p.bin"), 100)
        sees(c, lambda s: len(s["cycles"]) == 2, "two cycles indexed")
        c.call(3, "prune", {}, PRUNE)
        sees(c, lambda s: not s["pruning"] and
             s["prune_passes"] > s1["prune_passes"], "a pass ran")
        s2 = c.summary()
        check(s2["prune_passes"] - s1["prune_passes"] == 1 and
              s2["pruned_cycles"] - s1["pruned_cycles"] == 1,
              "prune_passes and pruned_cycles moved by 1: %d, %d" %
              (s2["prune_passes"], s2["pruned_cycles"]))
        c.close()
    finally:
        check(h.stop() == 0, "limits daemon: clean exit")


CONFIG = """\
paths:
  cache_root: cache
  results_root: ${hydra:runtime.output_dir}/results
data:
  dset_name: heat_64
daemon:
  socket: ${paths.cache_root}/../run//d.sock
t:
  i: 0x1f
  neg: -7
  u64: 18446744073709551615
  big: 0xffffffffffffffffffff
  f: 1.5e-4
  inf: .inf
  nan: .nan
  b: yes
  n: ~
  s: "0660"
  l: [1, a, null, [2.5, '']]
  m: {x: "${t.i}", y: "v${t.i}"}
  empty: {}
  1: int key
  2.5: float key
  tk: {true: bool key}
  "3": str key
  e: ${oc.env:HOME}
"""


def same(a, b):
    """Equal, with the same types all the way down (nan equals nan)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return [(type(k), k) for k in a] == [(type(k), k) for k in b] and \
            all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def test_config(root):
    """config: the resolved tree as --print-config prints it, typed; the
    values the daemon uses; its working directory."""
    root = os.path.realpath(root)
    os.makedirs(os.path.join(root, "run"))
    conf = os.path.join(root, "c.yaml")
    with open(conf, "w") as f:
        f.write(CONFIG)
    sock = os.path.join(root, "run", "d.sock")
    proc = subprocess.Popen([os.environ["HYCOD"], "-c", conf], cwd=root,
                            stderr=open(os.path.join(root, "log"), "w"))
    try:
        deadline = time.time() + 30
        while not os.path.exists(sock) and time.time() < deadline and \
                proc.poll() is None:
            time.sleep(0.01)
        c = Conn(sock)
        c.u = msgpack.Unpacker(raw=False, strict_map_key=False)
        r = c.call(1, "config", spec=False)
        check(r is not None and r[2] is None, "config: %r" % (r,))
        res = r[3]
        check(set(res) == {"config", "effective", "cwd"},
              "config: fields %s" % sorted(res))
        bad = mismatch(res["effective"], EFFECTIVE, "config.effective")
        check(bad is None, bad)
        cache = os.path.join(root, "cache")
        want = {"cache_root": cache,
                "tensor_cache_dir": cache + "/tensors",
                "generated_cache_dir": cache + "/generated",
                "eval_cache_dir": cache + "/evaluation",
                "synthetic_pred_cache": cache + "/generated/synthetic_preds",
                "physical_pred_cache": cache + "/generated/physical_preds",
                "dset_name": "heat_64", "socket": sock,
                "trash_dir": cache + "/.trash"}
        check(res["effective"] == want, "config.effective: %r" %
              (res["effective"],))
        check(res["cwd"] == root, "config.cwd: %r" % (res["cwd"],))
        # The same tree --print-config prints, read back by OmegaConf's
        # loader, types and all; an int past 64 bits goes as its digits.
        p = subprocess.run([os.environ["HYCOD"], "-c", conf,
                            "--print-config"], cwd=root,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        printed = yaml.load(p.stdout.decode(), Loader=get_yaml_loader())
        got = res["config"]
        t = got.get("t", {})
        check(t.get("big") == str(0xffffffffffffffffffff),
              "config: an int past 64 bits as its digits: %r" %
              (t.get("big"),))
        check(t.get("u64") == 2**64 - 1 and t.get("neg") == -7,
              "config: 64-bit ints %r %r" % (t.get("u64"), t.get("neg")))
        check(got["paths"]["results_root"] ==
              "${hydra:runtime.output_dir}/results",
              "config: an unresolved value as its text")
        t.pop("big", None)
        printed["t"].pop("big", None)
        check(same(got, printed), "config equals --print-config: %r\n%r" %
              (got, printed))
        # hycoctl config prints the same tree as YAML (the big int as
        # the string it was sent as).
        ctl = subprocess.run([os.environ["HYCOCTL"], "--socket", sock,
                              "config"], stdout=subprocess.PIPE)
        shown = yaml.load(ctl.stdout.decode(), Loader=get_yaml_loader())
        check(ctl.returncode == 0 and isinstance(shown, dict) and
              shown["t"].pop("big", None) == str(0xffffffffffffffffffff)
              and same(shown, got), "hycoctl config: %r" % (shown,))
        keys = [type(k).__name__ for k in t] + \
            [type(k).__name__ for k in t.get("tk", {})]
        check(keys.count("int") == 1 and keys.count("float") == 1 and
              keys.count("bool") == 1, "config: typed keys %r" % (keys,))
        c.close()
    finally:
        proc.terminate()
        check(proc.wait(30) == 0, "config: clean exit")


def main():
    d = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    h = Hycod(os.path.join(d, "main"))
    try:
        c = Conn(h.sock)
        test_methods(c, h, h.proc)
        test_freed_once(c, h)
        test_counters(c, h)
        # Bytes that are not a request close the connection.
        c.s.sendall(msgpack.packb({"hello": 1}))
        check(c.next() is None, "non-request closes")
        c.close()
        test_limits(os.path.join(d, "limits"))
        test_config(os.path.join(d, "config"))
    finally:
        check(h.stop() == 0, "clean exit on SIGTERM")
        check(not os.path.exists(h.sock), "socket removed")
        subprocess.run(["rm", "-rf", d])
    ok = check.summary()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
