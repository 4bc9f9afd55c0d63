"""python3 -m hyco (the seed's inspect_cache.py) and the example loop
(client/python/examples/hybrid_loop.py), run as a user runs them,
against a real hycod."""
import os
import subprocess
import sys
import unittest

import fixtures
from fixtures import Hycod, write

EXAMPLE = os.path.join(fixtures.PYDIR, "examples", "hybrid_loop.py")
BLOCK = ["", "=" * 60, "CACHE USAGE SUMMARY", "=" * 60]


def run(args, stdin="", cwd=None, env=None):
    e = dict(os.environ, PYTHONPATH=fixtures.PYDIR)
    e.pop("HYCO_SOCKET", None)
    e.update(env or {})
    return subprocess.run([sys.executable] + args, input=stdin, cwd=cwd,
                          env=e, capture_output=True, text=True, timeout=60)


class TestInspect(unittest.TestCase):
    def setUp(self):
        self.h = Hycod()
        self.addCleanup(self.h.close)
        write(os.path.join(self.h.cache, "tensors", "burgers_128", "t.pt"),
              2_500_000_000 // 1000)      # 0.0025 GB
        write(os.path.join(self.h.cache, "evaluation", "burgers_128", "e"),
              40_000_000)
        write(os.path.join(self.h.cache, "generated", "synthetic_preds",
                           "cycle_001", "burgers_128", "g"), 10_000_000)
        self.h.settle()

    def hyco(self, *args, stdin=""):
        return run(["-m", "hyco", "--config", self.h.conf] + list(args),
                   stdin=stdin)

    def test_summary(self):
        r = self.hyco()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split("\n"), BLOCK + [
            "Tensor cache:    0.00 GB", "Generated cache: 0.01 GB",
            "Eval cache:      0.04 GB", "Total cache:     0.05 GB",
            "=" * 60, "", ""])
        r = self.hyco("--cache-type", "eval")
        self.assertEqual(r.stdout, "Eval cache:      0.04 GB\n")
        r = run(["-m", "hyco"], cwd=self.h.root,
                env={"HYCO_CONFIG": self.h.conf})
        self.assertIn("Total cache:     0.05 GB", r.stdout)

    def test_clean_generated(self):
        r = self.hyco("--clean", "generated")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "Cleaned up all synthetic prediction "
                         "cache\nCleaned up all physical prediction cache\n")
        self.assertEqual(self.h.settle()["generated"], 0)

    def test_clean_all_asks_as_the_seed(self):
        r = self.hyco("--clean", "all", stdin="no\n")
        self.assertEqual(r.returncode, 0)
        self.assertIn("Are you sure you want to clean ALL caches? (yes/no): ",
                      r.stdout)
        self.assertGreater(self.h.settle()["generated"], 0)
        r = self.hyco("--clean", "all", stdin="yes\n")
        self.assertIn("Cleaned generated caches. Tensor cache preserved.",
                      r.stdout)
        s = self.h.settle()
        self.assertEqual(s["generated"], 0)
        self.assertGreater(s["tensors"], 0)

    def test_clean_tensors_asks_as_hycoctl(self):
        r = self.hyco("--clean", "tensors", stdin="y\n")  # not a terminal
        self.assertEqual(r.returncode, 1)
        self.assertIn("pass --yes", r.stderr)
        self.assertGreater(self.h.settle()["tensors"], 0)
        r = self.hyco("--clean", "eval", "--dataset", "burgers_128", "--yes")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Removed " + os.path.join(
            self.h.cache, "evaluation", "burgers_128"), r.stdout)
        self.assertIn("Cleaned eval cache: 0.04 GB freed", r.stdout)
        self.assertEqual(self.h.settle()["eval"], 0)

    def test_errors(self):
        self.h.stop()
        r = self.hyco()
        self.assertEqual(r.returncode, 3)
        self.assertIn(self.h.sock, r.stderr)
        r = run(["-m", "hyco", "--config", "/nonexistent.yaml"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent.yaml", r.stderr)
        r = run(["-m", "hyco", "--clean", "bogus"])
        self.assertEqual(r.returncode, 2)   # argparse's usage error


class TestExample(unittest.TestCase):
    def test_hybrid_loop(self):
        h = Hycod()
        try:
            cycles, files, size = 3, 5, 4096
            r = run([EXAMPLE, "--config", h.conf, "--cycles", str(cycles),
                     "--files", str(files), "--file-bytes", str(size)])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            out = r.stdout
            for c in range(cycles):
                self.assertIn("HYBRID CYCLE %d/%d" % (c + 1, cycles), out)
                self.assertIn("Cleaned up synthetic prediction cache for "
                              "cycle %d" % c, out)
                self.assertIn("Cleaned up physical prediction cache for "
                              "cycle %d" % c, out)
            # Both kinds' files of a cycle, counted by the daemon at once.
            self.assertEqual(out.count(
                "Generated cache during the cycle: %.6f GB" %
                (2 * files * size / 1e9)), cycles)
            # A summary at start, after each cycle, and at the end.
            self.assertEqual(out.count("CACHE USAGE SUMMARY"), cycles + 2)
            self.assertIn("HYBRID TRAINING COMPLETE", out)
            s = h.settle()
            self.assertEqual((s["generated"], s["cycles"]), (0, []))
        finally:
            h.close()

    def test_hybrid_loop_refuses_another_tree(self):
        h = Hycod()
        try:
            r = run([EXAMPLE, "--config", h.conf, "--cycles", "1",
                     "paths.cache_root=" + h.root + "/other"],
                    env={"HYCO_SOCKET": h.sock})
            self.assertEqual(r.returncode, 1)
            self.assertIn("paths.cache_root", r.stderr)
            self.assertFalse(os.path.exists(h.root + "/other"))
        finally:
            h.close()


if __name__ == "__main__":
    unittest.main()
