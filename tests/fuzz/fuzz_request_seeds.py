#!/usr/bin/python3
"""fuzz_request_seeds.py: write the seed corpus of fuzz_request.c, a
file per case under tests/fuzz/corpus/fuzz_request/: every method with each of its
arguments, valid and not, notifications, pipelined requests, and the
same bytes arriving whole, a byte at a time and in small pieces. The
first byte of a file says how it arrives (fuzz_request.c).

  /usr/bin/python3 tests/fuzz/fuzz_request_seeds.py"""
import os
import shutil

import msgpack

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "corpus", "fuzz_request")

CALLS = [
    ("ping", None),
    ("summary", None),
    ("get-cycle-dir", {"kind": "synthetic", "cycle": 3}),
    ("get-cycle-dir", {"kind": "physical", "cycle": 999999,
                       "dataset": "heat_64"}),
    ("get-cycle-dir", {"kind": "synthetic", "cycle": -1}),
    ("get-cycle-dir", {"kind": "both", "cycle": 1, "dataset": "../x"}),
    ("get-cycle-dir", {"kind": "synthetic", "cycle": 1, "dataset": ".h"}),
    ("cleanup-cycle", {"cycle": 3}),
    ("cleanup-cycle", {"cycle": 3, "kind": "all", "wait": True}),
    ("cleanup-cycle", {"cycle": 3, "kind": "physical", "wait": False}),
    ("cleanup-cycle", {"cycle": "3"}),
    ("cleanup-generated", None),
    ("cleanup-generated", {"wait": True}),
    ("clean", {"target": "tensors", "confirm": True}),
    ("clean", {"target": "eval", "dataset": "burgers_128",
               "confirm": True, "wait": True}),
    ("clean", {"target": "generated", "dataset": "heat_64",
               "confirm": True}),
    ("clean", {"target": "all", "confirm": False}),
    ("clean", {"target": "nothing", "confirm": True}),
    ("disk-check", {"required_bytes": 1}),
    ("disk-check", {"required_gb": 1.5}),
    ("disk-check", {"required_gb": float("nan")}),
    ("disk-check", {"required_bytes": 1, "required_gb": 2}),
    ("prune", None),
    ("prune", {"dry_run": True}),
    ("prune", {"dry_run": 1}),
    ("nope", None),
    ("ping", {"unknown": 1}),
    ("ping", {"a": 1, "a ": 2}),
]


def request(i, method, params):
    return msgpack.packb([0, i, method, [params] if params else []])


def write(name, chunk, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([chunk]) + data)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    for i, (method, params) in enumerate(CALLS):
        data = request(i + 1, method, params)
        write("%02d-%s" % (i, method), 0, data)
    # A use of a cycle and its cleanup, pipelined, in pieces.
    flow = b"".join(request(i, m, p) for i, (m, p) in enumerate([
        ("get-cycle-dir", {"kind": "physical", "cycle": 7}),
        ("summary", None),
        ("cleanup-cycle", {"cycle": 7, "wait": True}),
        ("prune", {"dry_run": True}),
        ("disk-check", {"required_gb": 0.001}),
    ]))
    write("flow-whole", 0, flow)
    write("flow-bytes", 1, flow)
    write("flow-7", 7, flow)
    # More jobs than a connection may run at once: held, then resumed.
    many = b"".join(request(i, "get-cycle-dir", {"kind": "synthetic",
                                                  "cycle": i})
                    for i in range(10))
    write("many-jobs", 0, many)
    # Notifications, and shapes that are not requests.
    write("notify", 0, msgpack.packb([2, "ping", []]) +
          msgpack.packb([2, "cleanup-cycle", [{"cycle": 1}]]) +
          request(9, "ping", None))
    write("params-not-array", 0, msgpack.packb([0, 1, "ping", {"a": 1}]))
    write("not-request", 0, msgpack.packb({"hello": 1}))
    write("msgid-string", 0, msgpack.packb([0, "1", "ping", []]))
    write("bomb-nested", 0, b"\xdd\x08\x00\x00\x00" * 15 + b"\x01")
    write("bomb-flat", 0, b"\xdd\x94\x01\x03\x2c" + b"\x00" * 5)
    write("bomb-in-request", 0, b"\x94\x00\xcd\x12\x34\xa4ping" +
          b"\xdd\xff\xff\xff\xff")
    write("deep", 0, b"\x94\x00\x05\xa4ping\x91\x81\xa1a" + b"\x91" * 20 +
          b"\x01")
    write("bad-byte", 0, request(1, "ping", None) + b"\xc1")


if __name__ == "__main__":
    main()
