#!/usr/bin/python3
"""seeds.py: write the seed corpora of the fuzz targets, so that they
can be made again (and grown) the same way:

  fuzz_config  the golden config cases (tests/config/cases) and conf/,
               each bundled with the files it composes, layers and
               overrides into fuzz_config.c's input format; plus a few
               of the features those leave out
  fuzz_index   operation sequences from a seeded PRNG, one per
               operation and mixes of all (fuzz_index.c's format)
  fuzz_reply   every method's reply, and error replies, recorded from a
               real hycod (fuzz_reply.c's format: a header naming the
               calls, then the bytes the daemon sent)

Run from the top of the tree after make:
  HYCOD=bin/hycod TOP=$PWD /usr/bin/python3 tests/fuzz/seeds.py [TARGET]
"""
import os
import random
import socket
import sys
import tempfile

import msgpack

TOP = os.environ.get("TOP", os.getcwd())
sys.path.insert(0, os.path.join(TOP, "tests"))


def out(target, name, data):
    d = os.path.join(TOP, "tests/fuzz/corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(os.path.join(TOP, path), "rb") as f:
        return f.read()


# -- fuzz_config -------------------------------------------------------------

GROUPS = ["config.yaml", "data/burgers_128.yaml", "model/hybrid.yaml",
          "trainer/hybrid.yaml"]


def bundle(primary, files=(), layers=(), overrides=()):
    """primary's text, then "#@ NAME" sections for files (NAME: path),
    "#@c NAME" for further -c files, "#@= ARG" for overrides."""
    b = primary.rstrip(b"\n") + b"\n"
    for name in layers:
        b += b"#@c " + name.encode() + b"\n"
    for arg in overrides:
        b += b"#@= " + arg.encode() + b"\n"
    for name, path in files:
        b += b"#@ " + name.encode() + b"\n" + read(path).rstrip(b"\n") + b"\n"
    return b


def config_seeds():
    conf = read("conf/config.yaml")
    cases = {}
    for line in read("tests/config/cases").decode().splitlines():
        if line.startswith("#") or "|" not in line:
            continue
        name, args = (s.strip() for s in line.split("|", 1))
        cases[name] = args.split()
    for name, args in cases.items():
        cfiles = [args[i + 1] for i, a in enumerate(args) if a == "-c"]
        overrides = [a for a in args if "=" in a or a.startswith("~")]
        overrides = [a for a in overrides if not a.startswith("-")]
        primary = read(cfiles[0])
        files, layers = [], []
        for extra in cfiles[1:]:
            base = os.path.basename(extra)
            layers.append(base)
            files.append((base, extra))
        if cfiles[0].endswith("burgers_hybrid_experiment.yaml"):
            files += [(g, "conf/" + g) for g in GROUPS]
        out("fuzz_config", name, bundle(primary, files, layers, overrides))
    # The features the golden cases leave out.
    extra = {
        "interp": b"paths:\n  cache_root: ${oc.env:HYCO_FUZZ_ROOT}/c\n"
                  b"  log_dir: ${oc.env:HYCO_FUZZ_UNSET,'/tmp/x'}\n"
                  b"  results_root: ${.log_dir}/r\n"
                  b"  raw_data_root: \\${literal}\n"
                  b"which: log_dir\n"
                  b"nested: ${paths.${which}}\n"
                  b"rel:\n  a: 1\n  b:\n    c: ${..a}\n",
        "package": b"defaults:\n  - _self_\n  - db: mysql\n"
                   b"  - optional extra: none\n  - override db: pg\n"
                   b"x: 1\n"
                   b"#@ db/mysql.yaml\nport: 3306\n"
                   b"#@ db/pg.yaml\n# @package _global_\nport: 5432\n"
                   b"#@ extra/none.yaml\n# @package a.b/c\nv: [1, 2]\n",
        "anchors": b"base: &b {k: 1, l: [a, b]}\ncopy: *b\n"
                   b"list: [*b, *b]\nstr: &s 'x'\nagain: *s\n",
        "layers": bundle(conf, [("one.yaml", "tests/config/layer.yaml")],
                         ["one.yaml"], ["++daemon.max_clients=8",
                                        "+new.key=[1, {a: b}]",
                                        "~paths.log_dir",
                                        "retention.prunable=generated,eval"]),
        "scalars": b"a: 0b101\nb: 0x1F\nc: 1:30\nd: 1_000\ne: .NaN\n"
                   b"f: -.inf\ng: 2001-12-14\nh: !!str 12\ni: |\n  text\n"
                   b"j: >\n  folded\n  text\nk: \"\\u00e9\\t\\x01\"\n"
                   b"l: ~\nm: Off\nn: 012\no: 1e5\np: +1.5\n",
        "errors": b"daemon:\n  socket_mode: 999\n  log_level: loud\n"
                  b"  max_request_bytes: 1\nretention:\n"
                  b"  prune_below: 101%\n  prunable: [x]\n"
                  b"data:\n  dset_name: .hidden\n",
    }
    for name, text in extra.items():
        out("fuzz_config", name, text)


# -- fuzz_index --------------------------------------------------------------

OPS = 8  # fuzz_index.c's OP_COUNT


def index_seeds():
    for op in range(OPS):
        rng = random.Random(op)
        seq = bytearray()
        # A few directories first, then this operation often.
        for _ in range(4):
            seq += bytes([0, rng.randrange(256), 0, 2, rng.randrange(4),
                          rng.randrange(24), 3, rng.randrange(64), 1])
        for _ in range(40):
            seq.append(op if rng.random() < 0.6 else rng.randrange(OPS))
            seq += bytes(rng.randrange(256) for _ in range(6))
        out("fuzz_index", "op%d" % op, bytes(seq))
    for n in (16, 64, 256, 1024):
        rng = random.Random(n)
        out("fuzz_index", "mix%d" % n,
            bytes(rng.randrange(256) for _ in range(n)))


# -- fuzz_reply --------------------------------------------------------------

# fuzz_reply.c's calls, and the request each makes.
CALLS = [
    ("ping", {}),
    ("get-cycle-dir", {"kind": "synthetic", "cycle": 3}),
    ("cleanup-cycle", {"cycle": 2, "wait": True}),
    ("cleanup-generated", {}),
    ("clean", {"target": "all", "confirm": True}),
    ("summary", {}),
    ("disk-check", {"required_bytes": 1000}),
    ("prune", {"dry_run": True}),
    ("stats", {"x": "y"}),
]


def record(sock, requests):
    """The bytes hycod sends back to requests [(method, params)], made
    on one connection with msgids 1, 2, ..."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(sock)
    data = b""
    for i, (method, params) in enumerate(requests):
        s.sendall(msgpack.packb([0, i + 1, method,
                                 [params] if params else []]))
        u = msgpack.Unpacker(raw=False)
        got = b""
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                sys.exit("seeds: hycod closed the connection")
            got += chunk
            u.feed(chunk)
            if any(True for _ in u):
                break
        data += got
    s.close()
    return data


def reply_seeds():
    from hytest import write
    from removal import Hycod
    with tempfile.TemporaryDirectory() as root:
        cache = os.path.join(root, "cache")
        for ds in ("burgers_128", "ns_64", "caf\u00e9"):
            write(os.path.join(cache, "tensors", ds, "x.pt"), 1000)
            write(os.path.join(cache, "evaluation", ds, "m.json"), 10)
        for kind in ("synthetic_preds", "physical_preds"):
            for cycle in (1, 2):
                write(os.path.join(cache, "generated", kind,
                                   "cycle_%03d" % cycle, "burgers_128",
                                   "p.pt"), 500 * cycle)
        d = Hycod(root)
        try:
            d.settle()
            # One call each: first as it is, then with recv in 1-byte
            # chunks (header bits 2-4), and summary for an old caller.
            replies = {}
            for sel, (method, params) in enumerate(CALLS):
                if method in ("cleanup-cycle", "clean",
                              "cleanup-generated"):
                    continue    # recorded below, once there is data
                replies[sel] = record(d.sock, [(method, params)])
            for sel, (method, params) in enumerate(CALLS):
                if sel in replies:
                    continue
                replies[sel] = record(d.sock, [(method, params)])
                d.settle()
            for sel, data in replies.items():
                name = CALLS[sel][0]
                out("fuzz_reply", name, bytes([0, sel]) + data)
                out("fuzz_reply", name + "-bytewise",
                    bytes([1 << 2, sel]) + data)
            out("fuzz_reply", "summary-old-caller",
                bytes([0, 0x10 | 5]) + replies[5])
            out("fuzz_reply", "get-cycle-dir-short-buffer",
                bytes([0, 0x10 | 1]) + replies[1])
            out("fuzz_reply", "generic-call", bytes([0, 8]) + replies[0])
            # Refusals: each typed call answered with an error.
            bad = [("get-cycle-dir", {"kind": "x", "cycle": 3}, 1),
                   ("clean", {"target": "tensors"}, 4),
                   ("disk-check", {"required_bytes": -1}, 6),
                   ("cycle", {}, 8)]
            for method, params, sel in bad:
                out("fuzz_reply", "error-" + CALLS[sel][0],
                    bytes([0, sel]) + record(d.sock, [(method, params)]))
            # Four calls on one connection, replies in a row, and one
            # preceded by a notification the client must skip.
            four = [0, 5, 7, 8]
            out("fuzz_reply", "four-calls", bytes([3 | 5 << 2] + four) +
                record(d.sock, [CALLS[s] for s in four]))
            out("fuzz_reply", "notification-first", bytes([0, 0]) +
                msgpack.packb([2, "event", [{"a": 1}]]) + replies[0])
            # A plan with items: hycod has removed them by the time it
            # could be asked, so this one is packed here, same shape.
            gen = os.path.join(cache, "generated/synthetic_preds")
            items = [{"path": gen + "/cycle_001", "bytes": 500, "files": 1,
                      "remove": True, "why": "retention.keep_last_cycles=1:"
                      " 1 newer synthetic cycles"},
                     {"path": gen + "/cycle_002", "bytes": 1000, "files": 1,
                      "remove": False, "why": "asked for 3 s ago"}]
            out("fuzz_reply", "prune-items", bytes([0, 7]) + msgpack.packb(
                [1, 1, None, {"dry_run": True, "exact": True,
                              "items": items}]))
        finally:
            d.stop()


if __name__ == "__main__":
    which = sys.argv[1:] or ["fuzz_config", "fuzz_index", "fuzz_reply"]
    if "fuzz_config" in which:
        config_seeds()
    if "fuzz_index" in which:
        index_seeds()
    if "fuzz_reply" in which:
        reply_seeds()
