"""hyco.CacheManager against the seed's own class (seed_cache.py, the
seed verbatim), call by call on the same tree: attributes, paths,
return values and their types, exceptions and log lines. Once against a
real hycod (on a private tmpfs when root, so free space holds still),
once in fallback="local" mode with no daemon. Then what is beyond the
seed: the agreement check, the lease of cycle(), errors of the daemon
through the seed's API."""
import os
import shutil
import tempfile
import time
import unittest
from pathlib import Path

import fixtures
from fixtures import Capture, ConfigProxy, Hycod, deadline, write
import seed_cache

import hyco

SEED_LOG, HYCO_LOG = "seed", "hyco.cache_manager"
ATTRS = ("tensor_cache_root", "generated_cache_root", "eval_cache_root",
         "dataset_name", "dataset_tensor_cache", "synthetic_pred_cache",
         "physical_pred_cache")


def listing(root):
    """Every path under root with its size (files) or None (dirs)."""
    out = {}
    for d, dirs, files in os.walk(root):
        if os.path.basename(d) == ".trash" or "/.trash/" in d + "/":
            dirs[:] = []
            continue
        for n in dirs:
            out[os.path.relpath(os.path.join(d, n), root)] = None
        for n in files:
            p = os.path.join(d, n)
            if n != "hycod.sock":
                out[os.path.relpath(p, root)] = os.path.getsize(p)
    return out


class SeedComparison:
    """The seed and hyco.CacheManager on one tree; subclasses say how
    hyco's is made (daemon or local)."""

    local = False

    def setUp(self):
        self.dl = deadline(60)
        self.dl.__enter__()

    def tearDown(self):
        self.dl.__exit__(None, None, None)

    def make(self, cfg):
        raise NotImplementedError

    def populate(self):
        """Files in every category; the same each time."""
        c = self.cache
        write(os.path.join(c, "tensors", "burgers_128", "sim_000000.pt"),
              123456)
        write(os.path.join(c, "tensors", "smoke_128", "sim_000000.pt"), 789)
        write(os.path.join(c, "evaluation", "burgers_128", "eval_tensors",
                           "e.pt"), 4242)
        for kind, cycles in (("synthetic", (1, 2)), ("physical", (1,))):
            for cy in cycles:
                write(os.path.join(c, "generated", kind + "_preds",
                                   "cycle_%03d" % cy, "burgers_128",
                                   "gen_000000.pt"), 1000 * cy + 7)
        self.settle()

    def settle(self):
        pass

    def both(self, call, *args):
        """(seed's (result, type, logs, exception type), hyco's), calling
        the seed first, then hyco on a tree made equal again."""
        out = []
        for m, name in ((self.seed, SEED_LOG), (self.mine, HYCO_LOG)):
            self.populate()
            with Capture(name) as cap:
                try:
                    r = getattr(m, call)(*args)
                    exc = None
                except Exception as e:  # noqa: compared below
                    r, exc = None, type(e)
            self.settle()
            out.append((r, type(r), cap.records, exc, listing(self.cache)))
        return out

    def assertSame(self, call, *args):
        seed, mine = self.both(call, *args)
        self.assertEqual(seed[3], mine[3], "%s%r: exception" % (call, args))
        self.assertEqual(seed[:3], mine[:3], "%s%r" % (call, args))
        self.assertEqual(seed[4], mine[4], "%s%r: the tree after" %
                         (call, args))
        return mine

    # ---- the comparisons -------------------------------------------------
    def test_attributes(self):
        for a in ATTRS:
            self.assertEqual(getattr(self.seed, a), getattr(self.mine, a), a)
            self.assertIs(type(getattr(self.seed, a)),
                          type(getattr(self.mine, a)), a)
        self.assertIs(self.mine.config, self.cfg)
        self.assertEqual(self.mine.local, self.local)

    def test_directories_created(self):
        shutil.rmtree(os.path.join(self.cache, "tensors", "burgers_128"))
        self.make(self.cfg)
        self.assertTrue(self.seed.dataset_tensor_cache.is_dir())

    def test_pred_cache_dirs(self):
        for call in ("get_synthetic_pred_cache_dir",
                     "get_physical_pred_cache_dir"):
            for cycle in (0, 2, 7, 1000, 999999):
                r = self.assertSame(call, cycle)
                self.assertTrue(r[0].is_dir())

    def test_get_cache_size(self):
        for t in ("tensors", "generated", "eval", "all"):
            r = self.assertSame("get_cache_size", t)
            self.assertIs(r[1], float)
            self.assertGreater(r[0], 0)
        self.assertSame("get_cache_size")
        for bad in ("bogus", None, "Tensors"):
            self.assertSame("get_cache_size", bad)
        with Capture(HYCO_LOG), self.assertRaisesRegex(
                ValueError, "^Unknown cache_type: bogus$"):
            self.mine.get_cache_size("bogus")

    def test_print_cache_summary(self):
        r = self.assertSame("print_cache_summary")
        self.assertEqual(len(r[2]), 8)
        self.assertEqual(r[2][3], ("INFO", "Tensor cache:    0.00 GB"))

    def test_check_disk_space(self):
        for gb in (0, 0.001, 1e9, -1):
            r = self.assertSame("check_disk_space", gb)
            self.assertIs(r[1], bool)
        r = self.assertSame("check_disk_space", 1e9)
        self.assertRegex(r[2][0][1], r"^Insufficient disk space: \d+\.\d\d "
                         r"GB available, 1000000000\.00 GB required$")
        for bad in ("1", None):
            seed, mine = self.both("check_disk_space", bad)
            self.assertEqual(seed[3], mine[3])
            self.assertIs(mine[3], TypeError)

    def test_cleanup_cycle_cache(self):
        for cycle in (1, 2, 3):     # both kinds, synthetic only, none
            r = self.assertSame("cleanup_cycle_cache", cycle)
            self.assertIsNone(r[0])
        r = self.assertSame("cleanup_cycle_cache", 1)
        self.assertEqual(r[2], [
            ("INFO", "Cleaned up synthetic prediction cache for cycle 1"),
            ("INFO", "Cleaned up physical prediction cache for cycle 1")])

    def test_cleanup_all_generated_cache(self):
        r = self.assertSame("cleanup_all_generated_cache")
        self.assertEqual([m for _, m in r[2]], [
            "Cleaned up all synthetic prediction cache",
            "Cleaned up all physical prediction cache"])
        self.assertTrue(self.mine.synthetic_pred_cache.is_dir())

    def test_bad_cycles_raise_as_the_seed(self):
        for call in ("get_synthetic_pred_cache_dir",
                     "get_physical_pred_cache_dir", "cleanup_cycle_cache"):
            for bad in ("3", 1.5, None, [1]):
                seed, mine = self.both(call, bad)
                self.assertIsNotNone(mine[3], (call, bad))
                self.assertEqual(seed[3], mine[3], (call, bad))

    def test_constructor_errors_as_the_seed(self):
        for cfg in ({}, {"paths": {}}, 42, None):
            errors = []
            for cls in (seed_cache.CacheManager, hyco.CacheManager):
                try:
                    cls(cfg)
                    errors.append(None)
                except Exception as e:  # noqa: compared
                    errors.append(type(e))
            self.assertIsNotNone(errors[0])
            self.assertEqual(errors[0], errors[1], cfg)


class TestSeedComparisonDaemon(SeedComparison, unittest.TestCase):
    """Against a real hycod, on a 64 MB tmpfs when root (free space then
    changes only with what the test writes)."""

    @classmethod
    def setUpClass(cls):
        cls.fs = None
        if fixtures.is_root():
            cls.fs = fixtures.tmpfs("64m")
            root = cls.fs.__enter__()
        else:
            root = tempfile.mkdtemp(prefix="hyco-py-")
            print("NOTE: not root: check_disk_space compared on /tmp, "
                  "whose free space may move between the two calls")
        cls.h = Hycod(root=root)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.h.close()   # fails unless hycod exits 0 on SIGTERM
        finally:
            if cls.fs is not None:
                cls.fs.__exit__(None, None, None)
            else:
                shutil.rmtree(cls.h.root, ignore_errors=True)

    def setUp(self):
        super().setUp()
        self.cache = self.h.cache
        for d in ("tensors", "generated", "evaluation"):
            shutil.rmtree(os.path.join(self.cache, d), ignore_errors=True)
        self.cfg = self.h.trainer_config()
        self.make(self.cfg)
        self.settle()

    def make(self, cfg):
        self.seed = seed_cache.CacheManager(cfg)
        self.mine = hyco.CacheManager(cfg)
        self.addCleanup(self.mine.client.close)

    def settle(self):
        self.h.settle()

    def test_plain_dict_config(self):
        cfg = self.h.trainer_config(resolve=True)
        self.assertIs(type(cfg), dict)
        m = hyco.CacheManager(cfg)
        for a in ATTRS:
            self.assertEqual(getattr(m, a), getattr(self.seed, a))
        m.client.close()

    def test_sizes_come_from_the_daemon(self):
        # One summary request per call, and no walk: a file the index
        # has not seen yet (written behind a stopped daemon) is not in.
        self.populate()
        before = self.h.raw("ping")[1]["requests"]
        self.mine.print_cache_summary()
        self.mine.get_cache_size("all")
        self.assertEqual(self.h.raw("ping")[1]["requests"], before + 3)


class TestSeedComparisonLocal(SeedComparison, unittest.TestCase):
    """fallback="local" with no daemon: the seed's own behaviour."""

    local = True

    def setUp(self):
        super().setUp()
        self.root = tempfile.mkdtemp(prefix="hyco-py-")
        self.addCleanup(shutil.rmtree, self.root, True)
        self.cache = os.path.join(self.root, "cache")
        from omegaconf import OmegaConf
        self.cfg = OmegaConf.merge(OmegaConf.load(fixtures.config_file(
            self.root, self.cache)))
        self.make(self.cfg)

    def make(self, cfg):
        self.seed = seed_cache.CacheManager(cfg)
        with Capture(HYCO_LOG) as cap:
            self.mine = hyco.CacheManager(cfg, fallback="local")
        self.assertEqual(len(cap.records), 1)
        self.assertEqual(cap.records[0][0], "WARNING")
        self.assertIn("hycod is unreachable", cap.records[0][1])
        self.assertIn(os.path.join(self.cache, "hycod.sock"),
                      cap.records[0][1])

    def test_unreachable_without_fallback(self):
        with self.assertRaises(hyco.Unreachable) as cm:
            hyco.CacheManager(self.cfg)
        self.assertIn(os.path.join(self.cache, "hycod.sock"),
                      str(cm.exception))
        self.assertIn("hycod -c", str(cm.exception))

    def test_local_summary_and_cycle(self):
        self.populate()
        s = self.mine.summary()
        self.assertEqual(s["total"], s["tensors"] + s["generated"] +
                         s["eval"])
        self.assertTrue(s["local"])
        with self.mine.cycle(4, cleanup=True) as d:
            self.assertTrue(d.physical.is_dir() and d.synthetic.is_dir())
        self.assertFalse(d.physical.parent.exists())


class TestBeyondTheSeed(unittest.TestCase):
    def setUp(self):
        self.dl = deadline(60)
        self.dl.__enter__()
        self.h = Hycod()
        self.addCleanup(self.h.close)

    def tearDown(self):
        self.dl.__exit__(None, None, None)

    def test_bad_arguments(self):
        cfg = self.h.trainer_config()
        with self.assertRaises(ValueError):
            hyco.CacheManager(cfg, fallback="remote")
        with self.assertRaises(TypeError):
            hyco.CacheManager(cfg, client="not a client")
        with self.assertRaises(ValueError):
            hyco.CacheManager(cfg, client=hyco.Client(socket=self.h.sock),
                              socket=self.h.sock)
        m = hyco.CacheManager(cfg)
        # Beyond the seed's range: the daemon's own rule, a ValueError.
        for call in (m.get_synthetic_pred_cache_dir, m.cleanup_cycle_cache):
            with self.assertRaises(hyco.InvalidArgument) as cm:
                call(-1)
            self.assertIsInstance(cm.exception, ValueError)
            self.assertIn("0 to 999999", str(cm.exception))
        with self.assertRaises(TypeError):
            with m.cycle(1, cleanup="yes"):
                pass
        with self.assertRaises(ValueError):
            with m.cycle("x"):
                pass

    def test_summary(self):
        m = hyco.CacheManager(self.h.trainer_config())
        s = m.summary()
        self.assertEqual(s["disk"]["path"], self.h.cache)
        self.assertIn("cycles", s)

    def test_shared_client(self):
        c = hyco.Client(socket=self.h.sock)
        m = hyco.CacheManager(self.h.trainer_config(), client=c)
        self.assertIs(m.client, c)
        m.get_synthetic_pred_cache_dir(1)
        self.assertEqual(c.ping()["connections"], 1)

    def test_cycle_holds_the_lease(self):
        # A removal says whether a connection leases the cycle: the
        # block's own connection keeps cycle 5 of both kinds whatever
        # the shared client asks meanwhile, and lets go when it ends.
        m = hyco.CacheManager(self.h.trainer_config(), fallback="local")
        self.assertFalse(m.local)

        def connections(n):     # the daemon saw the close
            for _ in range(500):
                if self.h.raw("ping")[1]["connections"] == n:
                    return True
                time.sleep(0.01)
            return False

        with m.cycle(5) as dirs:
            self.assertIsInstance(dirs, hyco.CycleDirs)
            self.assertEqual(dirs.physical,
                             m.get_physical_pred_cache_dir(5))
            write(str(dirs.synthetic / "gen.pt"), 10)
            write(str(dirs.physical / "gen.pt"), 10)
            m.get_synthetic_pred_cache_dir(6)    # moves the shared lease
            m.get_physical_pred_cache_dir(6)
            self.assertTrue(connections(3))     # shared, block's, raw
            for kind in ("synthetic", "physical"):
                err, r = self.h.raw("cleanup-cycle", cycle=5, kind=kind)
                self.assertIs(r["leased"], True, kind)
            self.assertTrue(dirs.synthetic.parent.exists() is False)
            self.assertTrue(dirs.synthetic.is_dir() is False)
        self.assertTrue(connections(2))
        with m.cycle(8):
            pass
        self.assertTrue(connections(2))
        err, r = self.h.raw("cleanup-cycle", cycle=8)
        self.assertEqual((r["leased"], len(r["removed"])), (False, 2))
        with m.cycle(9) as dirs:
            self.assertTrue(dirs.synthetic.is_dir())
        self.assertTrue(dirs.synthetic.is_dir())    # kept: cleanup=False
        with self.assertRaises(RuntimeError):
            with m.cycle(9, cleanup=True):
                raise RuntimeError("training failed")
        self.assertFalse(dirs.synthetic.parent.exists())   # the finally
        self.assertFalse(dirs.physical.parent.exists())

    def test_daemon_errors_through_the_seed_api(self):
        m = hyco.CacheManager(self.h.trainer_config())
        cyc = os.path.join(self.h.cache, "generated", "physical_preds",
                           "cycle_009")
        write(cyc, 1)   # a file where the cycle directory goes
        with self.assertRaises(OSError) as cm:
            m.get_physical_pred_cache_dir(9)
        self.assertIsInstance(cm.exception, hyco.DaemonIOError)
        self.h.stop()
        with self.assertRaises(hyco.Unreachable):
            m.get_cache_size()
        self.h.start()
        self.assertEqual(m.get_cache_size("eval"), 0.0)

    def test_cache_root_disagreement(self):
        # Works with today's daemon: its cache root (disk-check's path)
        # against the trainer's paths.cache_root.
        other = os.path.join(self.h.root, "elsewhere")
        cfg = self.h.trainer_config("paths.cache_root=" + other)
        with self.assertRaises(hyco.ConfigMismatch) as cm:
            hyco.CacheManager(cfg, socket=self.h.sock)
        e = cm.exception
        self.assertIn("paths.cache_root", str(e))
        self.assertIn(other, str(e))
        self.assertIn(self.h.cache, str(e))
        self.assertIn(("paths.cache_root", other, self.h.cache),
                      e.differences)
        self.assertFalse(os.path.exists(other))     # nothing written

    def test_pred_cache_disagreement_found_before_writing(self):
        # Same cache root, another prediction cache: refused at
        # construction (config method) or at the first directory the
        # daemon hands out (without it); never a directory of the
        # trainer's that the daemon does not know.
        mine = os.path.join(self.h.root, "mine_preds")
        cfg = self.h.trainer_config("trainer.synthetic_pred_cache=" + mine)
        with self.assertRaises(hyco.ConfigMismatch) as cm:
            m = hyco.CacheManager(cfg)
            m.get_synthetic_pred_cache_dir(3)
        self.assertIn(mine, str(cm.exception))
        self.assertFalse(os.path.exists(mine))

    def check_disagreements(self, sock):
        """What the config method lets CacheManager compare."""
        cases = [
            ("data.dset_name=smoke_128", "data.dset_name", "smoke_128",
             "burgers_128"),
            ("paths.tensor_cache_dir=/x/t", "paths.tensor_cache_dir", "/x/t",
             os.path.join(self.h.cache, "tensors")),
            ("trainer.physical_pred_cache=/x/p",
             "trainer.physical_pred_cache", "/x/p",
             os.path.join(self.h.cache, "generated", "physical_preds")),
            ("paths.eval_cache_dir=" + self.h.cache + "/./x/../evaluation/",
             None, None, None),     # the same place, written otherwise
        ]
        for override, key, mine, theirs in cases:
            cfg = self.h.trainer_config(override)
            if key is None:
                hyco.CacheManager(cfg, socket=sock).client.close()
                continue
            with self.assertRaises(hyco.ConfigMismatch) as cm:
                hyco.CacheManager(cfg, socket=sock)
            self.assertIn((key, mine, theirs), cm.exception.differences)
            self.assertIn("%s: trainer %s, hycod %s" % (key, mine, theirs),
                          str(cm.exception))
        # Unresolved interpolations in a plain dict get a hint.
        from omegaconf import OmegaConf
        raw = OmegaConf.to_container(self.h.trainer_config(), resolve=False)
        with self.assertRaises(hyco.ConfigMismatch) as cm:
            hyco.CacheManager(raw, socket=sock)
        self.assertIn("not resolved", str(cm.exception))

    def test_disagreement_via_config_method(self):
        try:
            hyco.Client(socket=self.h.sock).config()
        except hyco.UnknownMethod:
            fixtures.skip(self, "daemon has no config method")
        self.check_disagreements(self.h.sock)

    def test_disagreement_via_config_proxy(self):
        # The same checks through a proxy that answers config with what
        # hycod --print-config prints, as the method will.
        p = ConfigProxy(self.h)
        try:
            self.check_disagreements(p.path)
        finally:
            p.close()


class TestRelativePaths(unittest.TestCase):
    """A config with relative paths: the daemon resolves them against
    its working directory, the trainer against its own."""

    def test_relative(self):
        with deadline(60):
            h = Hycod(cache_root="cache")   # relative, daemon runs in root
            p = ConfigProxy(h)
            old = os.getcwd()
            try:
                self.assertEqual(p.tree["paths"]["cache_root"], "cache")
                cfg = h.trainer_config()
                os.chdir(h.root)        # the trainer runs where hycod does
                m = hyco.CacheManager(cfg, socket=p.path)
                self.assertEqual(m.get_synthetic_pred_cache_dir(1),
                                 Path("cache/generated/synthetic_preds/"
                                      "cycle_001/burgers_128"))
                m.client.close()
                os.chdir(h.root + "/cache")     # elsewhere: refused
                with self.assertRaises(hyco.ConfigMismatch) as cm:
                    hyco.CacheManager(cfg, socket=p.path)
                self.assertIn(os.path.join(h.root, "cache", "cache"),
                              str(cm.exception))
                # A symlink to the daemon's tree is the same place.
                os.chdir(old)
                link = os.path.join(tempfile.mkdtemp(prefix="hyco-py-"), "l")
                os.symlink(h.cache, link)
                cfg2 = h.trainer_config("paths.cache_root=" + link)
                hyco.CacheManager(cfg2, socket=p.path).client.close()
            finally:
                os.chdir(old)
                p.close()
                h.close()


if __name__ == "__main__":
    unittest.main()
