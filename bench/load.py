#!/usr/bin/python3
"""load.py: hycod under well-behaved and hostile clients at once.

LOAD_CLIENTS (1000) well-behaved clients, spread over LOAD_WORKERS (4)
processes, each on its own connection, send every method in a mix
(ping, summary, get-cycle-dir, cleanup-cycle, cleanup-generated, clean,
disk-check, prune) one at a time with an exponential think time of
mean LOAD_THINK_MS (2000); LOAD_HOSTILE (50) hostile ones, in another
process, send requests a byte at a time, never read their replies,
send garbage, oversized frames and allocation bombs, hold half a
request open, and connect and close in storms. For LOAD_S seconds (60).

Then, and the run fails otherwise:
  - every well-behaved request was answered (none lost, none timed
    out, no internal error);
  - the p99 of summary round trips is within 2x of the idle figure:
    those of the probe, a well-behaved client in a process of its own
    sending a summary every 2 ms, against the same probe alone before
    the load, on the tree the clients use made whole first (a summary
    lists every cycle, so that is the most one costs during the run).
    The 1000 clients' own summary p50 and p99 are reported too; their
    p99 also counts the waits of their four busy client processes for
    a core, which on a small shared machine can be the larger part;
  - hycod's VmRSS stays bounded: its peak within LOAD_RSS_MB (128) of
    the start, and no growth over the last two thirds of the run;
  - its open descriptors after the run equal those before.

  make check-long, or: HYCOD=bin/hycod TOP=$PWD /usr/bin/python3 bench/load.py
"""
import gc
import heapq
import json
import os
import random
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import msgpack

ENV = os.environ.get
DURATION = float(ENV("LOAD_S", "60"))
CLIENTS = int(ENV("LOAD_CLIENTS", "1000"))
WORKERS = int(ENV("LOAD_WORKERS", "4"))
HOSTILE = int(ENV("LOAD_HOSTILE", "50"))
THINK = float(ENV("LOAD_THINK_MS", "2000")) / 1e3
RSS_MB = int(ENV("LOAD_RSS_MB", "128"))
PROBE_EVERY = 0.002
DRAIN_S = 30

# Every method, weighted (per mille) as a fleet of trainers and people
# would send them: cleanup-generated, which empties every prediction
# cache, about once a second in all.
MIX = [("ping", 250), ("summary", 250), ("get-cycle-dir", 200),
       ("cleanup-cycle", 100), ("disk-check", 100), ("prune", 48),
       ("clean", 50), ("cleanup-generated", 2)]


def now():
    return time.monotonic()


def pct(v, p):
    if not v:
        return 0.0
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100))]


# -- well-behaved clients ----------------------------------------------------

def params(method, cid, rng):
    kind = ("synthetic", "physical")[cid % 2]
    cycle = 1000 + cid % 400
    ds = "c%d" % (cid % 50)
    if method == "get-cycle-dir":
        return {"kind": kind, "cycle": cycle, "dataset": ds}
    if method == "cleanup-cycle":
        return {"cycle": cycle, "kind": kind, "wait": rng.random() < 0.3}
    if method == "disk-check":
        return {"required_bytes": 1 << 20}
    if method == "prune":
        return {"dry_run": rng.random() < 0.8}
    if method == "clean":
        return {"target": "eval", "dataset": ds, "confirm": True}
    if method == "cleanup-generated":
        return {"wait": False}
    return None


class Client:
    def __init__(self, cid, path):
        self.cid = cid
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.setblocking(False)
        self.u = msgpack.Unpacker(raw=False)
        self.msgid = 0
        self.out = b""
        self.pending = None     # (msgid, method, t0)


def well_behaved(path, ids, duration, think, mix, seed, conn):
    """One worker process: clients ids, until duration; results to conn."""
    gc.disable()    # no cycles made here: its pauses would be ours
    rng = random.Random(seed)
    methods = [m for m, w in mix for _ in range(w)]
    sel = selectors.DefaultSelector()
    clients = [Client(i, path) for i in ids]
    timers = []
    for c in clients:
        sel.register(c.s, selectors.EVENT_READ, c)
        heapq.heappush(timers, (now() + rng.random() * think, c.cid, c))
    lat = {m: [] for m, _ in mix}
    sent = answered = 0
    errors = {}
    end = now() + duration
    while True:
        t = now()
        stopping = t >= end
        if stopping and all(c.pending is None for c in clients):
            break
        if stopping and t >= end + DRAIN_S:
            break
        while timers and timers[0][0] <= t and not stopping:
            _, _, c = heapq.heappop(timers)
            m = rng.choice(methods)
            p = params(m, c.cid, rng)
            c.msgid += 1
            c.pending = (c.msgid, m, now())
            c.out += msgpack.packb([0, c.msgid, m, [p] if p else []])
            sent += 1
            try:
                n = c.s.send(c.out)
                c.out = c.out[n:]
            except BlockingIOError:
                pass
            if c.out:
                sel.modify(c.s, selectors.EVENT_READ | selectors.EVENT_WRITE,
                           c)
        timeout = max(0.0, min(timers[0][0] - now(), 0.05)) if timers and \
            not stopping else 0.05
        for key, ev in sel.select(timeout):
            c = key.data
            if ev & selectors.EVENT_WRITE and c.out:
                try:
                    n = c.s.send(c.out)
                    c.out = c.out[n:]
                except BlockingIOError:
                    pass
                if not c.out:
                    sel.modify(c.s, selectors.EVENT_READ, c)
            if not ev & selectors.EVENT_READ:
                continue
            try:
                data = c.s.recv(1 << 16)
            except BlockingIOError:
                continue
            if not data:
                errors["closed"] = errors.get("closed", 0) + 1
                sel.unregister(c.s)
                c.pending = None
                continue
            c.u.feed(data)
            for msg in c.u:
                if c.pending is None or msg[1] != c.pending[0]:
                    errors["stray"] = errors.get("stray", 0) + 1
                    continue
                _, m, t0 = c.pending
                lat[m].append(now() - t0)
                answered += 1
                if msg[2] is not None:
                    code = msg[2].get("code", "?")
                    errors[code] = errors.get(code, 0) + 1
                c.pending = None
                heapq.heappush(timers, (now() + rng.expovariate(1 / think),
                                        c.cid, c))
    lost = sum(1 for c in clients if c.pending is not None)
    for c in clients:
        c.s.close()
    conn.send({"sent": sent, "answered": answered, "lost": lost,
               "errors": errors, "lat": lat})
    conn.close()


def probe(path, duration, every, conn):
    """One more well-behaved client, alone in its process: a summary
    every `every` seconds, blocking, so that its round trips measure
    hycod and not a busy client process."""
    gc.disable()    # no cycles made here: its pauses would be ours
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    u = msgpack.Unpacker(raw=False)
    lat, msgid, bad = [], 0, 0
    end = now() + duration
    while now() < end:
        msgid += 1
        t0 = now()
        s.sendall(msgpack.packb([0, msgid, "summary", []]))
        m = None
        while m is None:
            u.feed(s.recv(1 << 20))
            for m in u:
                break
        lat.append(now() - t0)
        bad += m[1] != msgid or m[2] is not None
        time.sleep(every)
    s.close()
    conn.send({"lat": lat, "bad": bad})
    conn.close()


# -- hostile clients ----------------------------------------------------------

NESTED = b"\xdd\x08\x00\x00\x00" * 15 + b"\x01"
FLAT = b"\xdd\x94\x01\x03\x2c" + b"\x00" * 5
BIG = msgpack.packb([0, 1, "ping", [{"pad": "x" * 70000}]])
PING = msgpack.packb([0, 1, "ping", []])
KINDS = ["trickle", "never_reads", "garbage", "oversized", "bomb", "storm",
         "half_open"]


def hostile(path, n, duration, seed, conn):
    """n hostile clients of every kind, in turn, until duration."""
    rng = random.Random(seed)
    ops = {k: 0 for k in KINDS}
    held = []
    timers = []

    def connect():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            s.close()
            return None
        return s

    class H:
        pass

    for i in range(n):
        h = H()
        h.kind = KINDS[i % len(KINDS)]
        h.s = None
        h.pos = 0
        heapq.heappush(timers, (now() + rng.random() * 0.1, i, h))
    end = now() + duration
    while now() < end:
        t = now()
        while timers and timers[0][0] <= t:
            _, i, h = heapq.heappop(timers)
            nxt = 0.01
            try:
                if h.kind == "trickle":
                    # A request a byte every 10 ms, its reply read.
                    if h.s is None:
                        h.s = connect()
                        h.pos = 0
                    if h.s is not None:
                        if h.pos < len(PING):
                            h.s.send(PING[h.pos:h.pos + 1])
                            h.pos += 1
                        else:
                            try:
                                if h.s.recv(4096):
                                    ops[h.kind] += 1
                                    h.pos = 0
                            except BlockingIOError:
                                pass
                    nxt = 0.01
                elif h.kind == "never_reads":
                    # Pings in bulk, never a reply read: paused, held.
                    if h.s is None:
                        h.s = connect()
                    try:
                        h.s.send(PING * 2000)
                        ops[h.kind] += 1
                    except (BlockingIOError, OSError):
                        pass
                    nxt = 0.1
                elif h.kind == "half_open":
                    if h.s is None:
                        h.s = connect()
                        if h.s is not None:
                            h.s.send(PING[:5])
                            ops[h.kind] += 1
                    nxt = 1.0
                else:
                    s = connect()
                    if s is not None:
                        if h.kind == "garbage":
                            s.send(bytes(rng.getrandbits(8)
                                         for _ in range(64)))
                        elif h.kind == "oversized":
                            try:
                                s.send(BIG)
                            except (BlockingIOError, OSError):
                                pass
                        elif h.kind == "bomb":
                            s.send(rng.choice((NESTED, FLAT)))
                        ops[h.kind] += 1
                        held.append((now() + 0.05, s))
                    nxt = 0.02 if h.kind == "storm" else 0.05
            except OSError:
                if h.s is not None:
                    h.s.close()
                h.s = None
            heapq.heappush(timers, (now() + nxt, i, h))
        # Close what was sent and left (storms close at once).
        while held and held[0][0] <= now():
            held.pop(0)[1].close()
        if timers:
            time.sleep(max(0.0, min(timers[0][0] - now(), 0.01)))
    for _, s in held:
        s.close()
    conn.send(ops)
    conn.close()


# -- the run -------------------------------------------------------------------

def proc_status(pid):
    got = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmSize"):
                got[k] = int(v.split()[0])
    return got


def cpu_s(pid):
    """User and system CPU seconds of pid."""
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def call(path, method, p=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    s.sendall(msgpack.packb([0, 1, method, [p] if p else []]))
    u = msgpack.Unpacker(raw=False)
    while True:
        u.feed(s.recv(1 << 20))
        for m in u:
            s.close()
            return m[2], m[3]


def start_probe(path, duration):
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    a, b = ctx.Pipe(False)
    p = ctx.Process(target=probe, args=(path, duration, PROBE_EVERY, b))
    p.start()
    return p, a


def probe_result(pp):
    r = pp[1].recv()
    pp[0].join()
    return r


def populate(path):
    """get-cycle-dir for every client, pipelined on one connection."""
    rng = random.Random(1)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(path)
    s.sendall(b"".join(msgpack.packb([0, cid, "get-cycle-dir",
                                      [params("get-cycle-dir", cid, rng)]])
                       for cid in range(CLIENTS)))
    u = msgpack.Unpacker(raw=False)
    got = 0
    while got < CLIENTS:
        u.feed(s.recv(1 << 20))
        got += sum(1 for _ in u)
    s.close()


def run_workers(path, total, duration, think, mix, hostile_n):
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    procs, pipes = [], []
    per = [list(range(w, total, WORKERS)) for w in range(min(WORKERS, total))]
    for w, ids in enumerate(per):
        a, b = ctx.Pipe(False)
        p = ctx.Process(target=well_behaved, args=(path, ids, duration, think,
                                                   mix, 100 + w, b))
        procs.append(p)
        pipes.append(a)
    hp = None
    if hostile_n:
        a, b = ctx.Pipe(False)
        hp = (ctx.Process(target=hostile, args=(path, hostile_n, duration, 7,
                                                b)), a)
    for p in procs:
        p.start()
    if hp:
        hp[0].start()
    return procs, pipes, hp


def collect(procs, pipes, hp):
    res = [p.recv() for p in pipes]
    for p in procs:
        p.join()
    ops = None
    if hp:
        ops = hp[1].recv()
        hp[0].join()
    total = {"sent": 0, "answered": 0, "lost": 0, "errors": {}, "lat": {}}
    for r in res:
        for k in ("sent", "answered", "lost"):
            total[k] += r[k]
        for k, v in r["errors"].items():
            total["errors"][k] = total["errors"].get(k, 0) + v
        for m, v in r["lat"].items():
            total["lat"].setdefault(m, []).extend(v)
    return total, ops


def main():
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    root = tempfile.mkdtemp(prefix="hyco-load-", dir=base)
    cache = os.path.join(root, "cache")
    sock = os.path.join(cache, "hycod.sock")
    log = os.path.join(root, "hycod.log")
    d = subprocess.Popen(
        [ENV("HYCOD", "bin/hycod"), "-c",
         os.path.join(ENV("TOP", "."), "conf/config.yaml"),
         "paths.cache_root=" + cache, "daemon.max_clients=4096",
         "daemon.log_level=warn"], stderr=open(log, "w"))
    while not os.path.exists(sock):
        if d.poll() is not None:
            sys.exit("load: hycod did not start (%s)" % log)
        time.sleep(0.01)
    failed = []
    try:
        call(sock, "ping")
        # Every cycle directory the clients use, made first: the idle
        # figure is then taken on the largest tree the load sees (a
        # summary lists every cycle, so it grows with them).
        populate(sock)
        while not call(sock, "summary")[1]["exact"]:
            time.sleep(0.1)
        time.sleep(1)
        # Idle: the probe alone, then the same client code as the
        # load's, one client, summaries only.
        idle_probe = probe_result(start_probe(sock, 10))["lat"]
        procs, pipes, hp = run_workers(sock, 1, 5, 0.002,
                                       [("summary", 1)], 0)
        idle, _ = collect(procs, pipes, hp)
        idle_clients_p99 = pct(idle["lat"]["summary"], 99)
        idle_clients_p50 = pct(idle["lat"]["summary"], 50)
        time.sleep(1)
        fds_before = fds(d.pid)
        rss0 = proc_status(d.pid)["VmRSS"]
        cpu0 = cpu_s(d.pid)
        # Loaded.
        t0 = now()
        procs, pipes, hp = run_workers(sock, CLIENTS, DURATION, THINK, MIX,
                                       HOSTILE)
        pp = start_probe(sock, DURATION)
        rss = []
        while any(p.is_alive() for p in procs) and now() < t0 + DURATION + \
                DRAIN_S + 30:
            rss.append((now() - t0, proc_status(d.pid)["VmRSS"]))
            time.sleep(1)
        load, ops = collect(procs, pipes, hp)
        loaded_probe = probe_result(pp)
        cpu1 = cpu_s(d.pid)
        err, summ = call(sock, "summary")
        # Every client is gone: wait for the daemon to see the last close.
        deadline = now() + 10
        while fds(d.pid) != fds_before and now() < deadline:
            time.sleep(0.1)
        fds_after = fds(d.pid)
    finally:
        d.send_signal(signal.SIGTERM)
        rc = d.wait(60)
    lat = load["lat"]
    allv = [x for v in lat.values() for x in v]
    p99 = pct(loaded_probe["lat"], 99)
    idle_p99 = pct(idle_probe, 99)
    peak = max(r for _, r in rss) if rss else rss0
    third = [r for t, r in rss if t >= DURATION / 3 and t <= DURATION]
    early = [r for t, r in rss if t < DURATION / 3]
    grew = (max(third) - max(early)) if third and early else 0
    report = {
        "duration_s": DURATION, "clients": CLIENTS, "hostile": HOSTILE,
        "think_ms": THINK * 1e3,
        "sent": load["sent"], "answered": load["answered"],
        "lost": load["lost"], "errors": load["errors"],
        "per_method": {m: len(v) for m, v in lat.items()},
        "summary_p50_ms": pct(lat["summary"], 50) * 1e3,
        "summary_p99_ms": pct(lat["summary"], 99) * 1e3,
        "idle_summary_p50_ms": idle_clients_p50 * 1e3,
        "idle_summary_p99_ms": idle_clients_p99 * 1e3,
        "all_p99_ms": pct(allv, 99) * 1e3,
        "probe_summaries": len(loaded_probe["lat"]),
        "probe_summary_p50_ms": pct(loaded_probe["lat"], 50) * 1e3,
        "probe_summary_p99_ms": pct(loaded_probe["lat"], 99) * 1e3,
        "idle_probe_summary_p50_ms": pct(idle_probe, 50) * 1e3,
        "idle_probe_summary_p99_ms": pct(idle_probe, 99) * 1e3,
        "hycod_cpu_s": round(cpu1 - cpu0, 2),
        "loadavg_after": os.getloadavg(),
        "rss_kb_start": rss0, "rss_kb_peak": peak,
        "rss_kb_end": rss[-1][1] if rss else rss0,
        "rss_kb_growth_after_first_third": grew,
        "fds_before": fds_before, "fds_after": fds_after,
        "hostile_ops": ops,
        "hycod": {k: summ[k] for k in (
            "connections_accepted", "closed_too_large", "closed_bad_input",
            "closed_too_deep", "paused_reads", "paused_max_jobs_per_client",
            "paused_max_jobs", "requests", "frame_steps", "messages")},
        "hycod_errors": summ["errors"], "exit": rc,
    }
    print(json.dumps(report, indent=1))
    if load["lost"] or load["answered"] != load["sent"]:
        failed.append("%d of %d well-behaved requests not answered" %
                      (load["sent"] - load["answered"], load["sent"]))
    for code in ("internal", "closed", "stray", "invalid_argument",
                 "unknown_method"):
        if load["errors"].get(code):
            failed.append("%d replies %s" % (load["errors"][code], code))
    if p99 > 2 * idle_p99:
        failed.append("probe's summary p99 %.3f ms over 2x idle %.3f ms" %
                      (p99 * 1e3, idle_p99 * 1e3))
    if loaded_probe["bad"]:
        failed.append("%d probe replies wrong" % loaded_probe["bad"])
    if peak - rss0 > RSS_MB * 1024:
        failed.append("VmRSS peak %d kB, %d over the start" %
                      (peak, peak - rss0))
    if grew > 8 * 1024:
        failed.append("VmRSS still growing: +%d kB after the first third" %
                      grew)
    if fds_after != fds_before:
        failed.append("descriptors: %d before, %d after" %
                      (fds_before, fds_after))
    if rc != 0:
        failed.append("hycod exited %s" % rc)
    for f in failed:
        print("FAIL:", f)
    print("load: %s" % ("passed" if not failed else "FAILED"))
    if failed:
        print("load: log kept in", root)
        sys.exit(1)
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
