#!/usr/bin/python3
"""bench/python_cache.py: the seed's CacheManager against
hyco.CacheManager on the same tree, in the same run.

  - get_cache_size() ("all": the seed walks the three roots with rglob
    and stat; hyco asks hycod's index with one summary request)
  - print_cache_summary() (the seed calls get_cache_size four times,
    two full walks; hyco one summary request)

Both answers are checked equal first. The tree has BENCH_FILES files
(default 1000000): 80% tensors, 10% evaluation, 10% predictions over
10 cycles, 1000 files per directory, each 0-63 bytes. The seed's class
is tests/python/seed_cache.py, the seed's code verbatim. Needs $HYCOD
and $TOP; on /dev/shm like the other benchmarks.
"""
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.environ["TOP"]
sys.path.insert(0, os.path.join(TOP, "client", "python"))
sys.path.insert(0, os.path.join(TOP, "tests", "python"))
import hyco  # noqa: E402
import seed_cache  # noqa: E402
from fixtures import listening  # noqa: E402

N = int(os.environ.get("BENCH_FILES", "1000000"))
PER_DIR = 1000


def fill(d, n):
    for s in range(max(1, n // PER_DIR)):
        sub = os.path.join(d, "s%d" % s)
        os.makedirs(sub)
        for i in range(min(PER_DIR, n)):
            fd = os.open(os.path.join(sub, "f%d.pt" % i),
                         os.O_CREAT | os.O_WRONLY, 0o644)
            os.write(fd, b"x" * (i % 64))
            os.close(fd)


def make_tree(cache, n):
    fill(os.path.join(cache, "tensors", "burgers_128"), n * 8 // 10)
    fill(os.path.join(cache, "evaluation", "burgers_128"), n // 10)
    for c in range(10):
        fill(os.path.join(cache, "generated", "synthetic_preds",
                          "cycle_%03d" % c, "burgers_128"), n // 100)


def timed(fn, runs):
    """(result of the last run, median seconds)."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = fn()
        times.append(time.perf_counter() - t0)
    return r, statistics.median(times)


def main():
    base = tempfile.mkdtemp(prefix="hyco-bench-py-", dir="/dev/shm")
    proc = None
    try:
        cache = os.path.join(base, "cache")
        with open(os.path.join(TOP, "conf", "config.yaml")) as f:
            text = f.read().replace('cache_root: "cache"',
                                    'cache_root: "%s"' % cache)
        conf = os.path.join(base, "config.yaml")
        with open(conf, "w") as f:
            f.write(text)
        t0 = time.time()
        make_tree(cache, N)
        print("tree: %d files in %.1f s" % (N, time.time() - t0))
        sock = os.path.join(cache, "hycod.sock")
        proc = subprocess.Popen([os.environ["HYCOD"], "-c", conf],
                                stderr=open(os.path.join(base, "log"), "w"))
        while not listening(sock):      # it listens once indexed
            if proc.poll() is not None:
                sys.exit("python_cache: hycod did not start")
            time.sleep(0.01)

        from omegaconf import OmegaConf
        cfg = OmegaConf.load(conf)
        seed = seed_cache.CacheManager(cfg)
        mine = hyco.CacheManager(cfg)
        for name in ("seed", "hyco.cache_manager"):
            lg = logging.getLogger(name)
            lg.addHandler(logging.NullHandler())
            lg.propagate = False
            lg.setLevel(logging.INFO)   # both format their lines
        while not mine.summary()["exact"]:
            time.sleep(0.01)

        seed_runs = 3 if N <= 100000 else 1
        a, seed_s = timed(seed.get_cache_size, seed_runs)
        b, mine_s = timed(mine.get_cache_size, 50)
        if a != b:
            sys.exit("python_cache: sizes differ: seed %r, hyco %r" % (a, b))
        print("get_cache_size(): %.6f GB both; seed (rglob+stat) %.4f s, "
              "hyco %.6f s; ratio hyco/seed = %.2g" %
              (a, seed_s, mine_s, mine_s / seed_s))
        _, seed_p = timed(seed.print_cache_summary, seed_runs)
        _, mine_p = timed(mine.print_cache_summary, 50)
        print("print_cache_summary(): seed %.4f s, hyco %.6f s; ratio "
              "hyco/seed = %.2g" % (seed_p, mine_p, mine_p / seed_p))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
