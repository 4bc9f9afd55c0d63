"""hyco.Client against the real bin/hycod: every method and its result
fields, every error class (each wire code produced by the daemon
itself where it can be: internal and permission_denied come from a
stand-in), socket discovery, bad input, bounded replies, timeouts,
restart and reconnect without resending, 8 threads on one client, and
fork() after connecting."""
import math
import os
import socket
import tempfile
import threading
import time
import unittest

import msgpack

import fixtures
from fixtures import Hycod, StandIn, deadline, reply

import hyco
from hyco import client as hyco_client


class DaemonCase(unittest.TestCase):
    """One real hycod for the whole class."""

    @classmethod
    def setUpClass(cls):
        cls.h = Hycod()

    @classmethod
    def tearDownClass(cls):
        cls.h.close()   # fails unless hycod exits 0 on SIGTERM

    def setUp(self):
        self.dl = deadline(60)
        self.dl.__enter__()
        self.c = hyco.Client(socket=self.h.sock, timeout=20)

    def tearDown(self):
        self.c.close()
        self.dl.__exit__(None, None, None)

    def pred(self, kind, cycle, dataset="burgers_128"):
        return os.path.join(self.h.cache, "generated", kind + "_preds",
                            "cycle_%03d" % cycle, dataset)


class TestMethods(DaemonCase):
    def test_ping(self):
        r = self.c.ping()
        self.assertEqual(set(r), {"version", "pid", "uptime_s",
                                  "connections", "requests", "cache_root"})
        self.assertEqual(r["pid"], self.h.proc.pid)
        self.assertIsInstance(r["uptime_s"], float)

    def test_get_cycle_dir(self):
        r = self.c.get_cycle_dir("synthetic", 12)
        self.assertEqual(r, {"path": self.pred("synthetic", 12),
                             "created": True})
        self.assertTrue(os.path.isdir(r["path"]))
        r = self.c.get_cycle_dir("synthetic", 12)
        self.assertFalse(r["created"])
        r = self.c.get_cycle_dir(kind="physical", cycle=1000,
                                 dataset="smoke_64")
        self.assertEqual(r["path"], self.pred("physical", 1000, "smoke_64"))

    def test_numpy_like_ints(self):
        class Index:    # what numpy.int64 offers: __index__
            def __index__(self):
                return 13
        r = self.c.get_cycle_dir("physical", Index())
        self.assertEqual(r["path"], self.pred("physical", 13))

    def test_cleanup_cycle(self):
        fixtures.write(os.path.join(self.pred("synthetic", 21), "a"), 1000)
        fixtures.write(os.path.join(self.pred("physical", 21), "b"), 24)
        self.h.settle()
        r = self.c.cleanup_cycle(21, wait=True)
        self.assertEqual(r["freed_bytes"], 1024)
        self.assertEqual(sorted(r["removed"]), sorted(
            os.path.dirname(self.pred(k, 21))
            for k in ("physical", "synthetic")))
        self.assertIs(r["leased"], False)
        self.assertFalse(os.path.exists(os.path.dirname(
            self.pred("synthetic", 21))))
        r = self.c.cleanup_cycle(21, kind="synthetic")
        self.assertEqual(r, {"freed_bytes": 0, "leased": False,
                             "removed": []})

    def test_cleanup_generated(self):
        fixtures.write(os.path.join(self.pred("synthetic", 31), "a"), 100)
        self.h.settle()
        r = self.c.cleanup_generated(wait=True)
        self.assertGreaterEqual(r["freed_bytes"], 100)
        self.assertTrue(os.path.isdir(os.path.join(
            self.h.cache, "generated", "synthetic_preds")))
        self.assertEqual(os.listdir(os.path.join(
            self.h.cache, "generated", "synthetic_preds")), [])

    def test_summary(self):
        fixtures.write(os.path.join(self.h.cache, "tensors", "burgers_128",
                                    "t.pt"), 5000)
        self.h.settle()
        s = self.c.summary()
        self.assertGreaterEqual(s["tensors"], 5000)
        self.assertEqual(s["total"], s["tensors"] + s["generated"] +
                         s["eval"])
        self.assertIn("burgers_128", s["datasets"])
        self.assertEqual(s["disk"]["path"], self.h.cache)
        self.assertIsInstance(s["errors"], dict)

    def test_disk_check(self):
        r = self.c.disk_check(required_bytes=1)
        self.assertEqual(set(r), {"ok", "available_bytes", "required_bytes",
                                  "path"})
        self.assertIs(r["ok"], True)
        r = self.c.disk_check(required_gb=1e9)
        self.assertIs(r["ok"], False)
        self.assertEqual(r["required_bytes"], 10 ** 18)
        r = self.c.disk_check(required_gb=2)     # an int is a number too
        self.assertEqual(r["required_bytes"], 2 * 10 ** 9)

    def test_clean(self):
        fixtures.write(os.path.join(self.h.cache, "evaluation", "heat_64",
                                    "e"), 77)
        self.h.settle()
        with self.assertRaises(hyco.InvalidArgument):
            self.c.clean("eval", dataset="heat_64")    # no confirm
        self.assertTrue(os.path.exists(os.path.join(
            self.h.cache, "evaluation", "heat_64", "e")))
        r = self.c.clean("eval", dataset="heat_64", confirm=True, wait=True)
        self.assertEqual(r, {"freed_bytes": 77, "removed": [os.path.join(
            self.h.cache, "evaluation", "heat_64")]})

    def test_prune(self):
        r = self.c.prune(dry_run=True)
        self.assertEqual(set(r), {"dry_run", "exact", "items"})
        self.assertIs(r["dry_run"], True)
        self.assertIs(self.c.prune()["dry_run"], False)

    def test_config(self):
        r = self.c.config()
        self.assertEqual(set(r), {"config", "effective", "cwd"})
        self.assertEqual(r["config"], self.h.print_config())
        self.assertEqual(r["effective"]["cache_root"], self.h.cache)
        self.assertEqual(r["effective"]["dset_name"], "burgers_128")
        self.assertTrue(r["cwd"].startswith("/"))

    def test_generic_call(self):
        self.assertEqual(self.c.call("ping")["pid"], self.h.proc.pid)
        self.assertEqual(self.c.call("ping", {})["pid"], self.h.proc.pid)

    def test_context_manager_and_repr(self):
        with hyco.Client(socket=self.h.sock) as c:
            c.ping()
            self.assertIn(self.h.sock, repr(c))
            self.assertEqual(c.socket_path, self.h.sock)
            self.assertEqual(c.timeout, hyco.DEFAULT_TIMEOUT)
        self.assertIsNone(c._sock)
        c.ping()    # usable after close: reconnects
        c.close()


class TestWireErrors(DaemonCase):
    """Each wire code, produced by the daemon."""

    def check(self, cls, code, fn, *a, **kw):
        with self.assertRaises(cls) as cm:
            fn(*a, **kw)
        e = cm.exception
        self.assertIsInstance(e, hyco.HycoError)
        self.assertEqual(e.code, code)
        self.assertTrue(e.method)
        self.assertIn(e.method, str(e))
        return e

    def test_invalid_argument(self):
        c = self.c
        for fn, a, kw in [
                (c.get_cycle_dir, ("synthetic", -1), {}),
                (c.get_cycle_dir, ("synthetic", 1000000), {}),
                (c.get_cycle_dir, ("bogus", 1), {}),
                (c.get_cycle_dir, ("synthetic", 1), {"dataset": ""}),
                (c.get_cycle_dir, ("synthetic", 1), {"dataset": "a/b"}),
                (c.get_cycle_dir, ("synthetic", 1), {"dataset": ".."}),
                (c.get_cycle_dir, ("synthetic", 1), {"dataset": "x\n"}),
                (c.get_cycle_dir, ("synthetic", 1), {"dataset": "x" * 256}),
                (c.cleanup_cycle, (1,), {"kind": "both"}),
                (c.cleanup_cycle, (-5,), {}),
                (c.disk_check, (), {}),
                (c.disk_check, (), {"required_bytes": 1, "required_gb": 1}),
                (c.disk_check, (), {"required_gb": -1.0}),
                (c.disk_check, (), {"required_gb": math.nan}),
                (c.disk_check, (), {"required_bytes": -1}),
                (c.clean, ("everything",), {"confirm": True}),
                (c.clean, ("tensors",), {}),
                (c.call, ("ping", {"bogus": 1}), {})]:
            e = self.check(hyco.InvalidArgument, "invalid_argument", fn,
                           *a, **kw)
            self.assertIsInstance(e, ValueError)
        self.assertEqual(self.c.ping()["pid"], self.h.proc.pid)

    def test_unknown_method(self):
        self.check(hyco.UnknownMethod, "unknown_method", self.c.call,
                   "no-such-method")
        self.c.ping()

    def test_too_large(self):
        # Over daemon.max_request_bytes (64 KiB): the daemon answers and
        # closes; the next call reconnects. 8 MiB does not fit the
        # socket's buffer, so the send itself fails and the answer is
        # read from what was already received.
        for size in (100000, 8 << 20):
            self.check(hyco.TooLarge, "too_large", self.c.get_cycle_dir,
                       "synthetic", 1, dataset="x" * size)
            self.assertIsNone(self.c._sock)
            self.assertEqual(self.c.ping()["pid"], self.h.proc.pid)

    def test_io_error(self):
        # cycle_007 a file: the daemon creates nothing through it.
        path = os.path.dirname(self.pred("synthetic", 7))
        fixtures.write(path, 3)
        e = self.check(hyco.DaemonIOError, "io_error", self.c.get_cycle_dir,
                       "synthetic", 7)
        self.assertIsInstance(e, OSError)
        self.assertTrue(os.path.isfile(path))
        os.unlink(path)

    def test_unknown_code_keeps_its_code(self):
        e = hyco.errors.from_wire("m", "frobnicated", "text")
        self.assertIs(type(e), hyco.HycoError)
        self.assertEqual((e.code, e.method), ("frobnicated", "m"))
        self.assertEqual(str(e), "m: text (frobnicated)")


class TestNoSpace(unittest.TestCase):
    """no_space from a daemon on a small tmpfs below refuse_below."""

    def test_no_space(self):
        if not fixtures.is_root():
            fixtures.skip(self, "no_space needs root to mount a tmpfs")
        with fixtures.tmpfs("16m") as fs, deadline(60):
            h = Hycod(cache_root=os.path.join(fs, "cache"), overrides=[
                "retention.refuse_below=50%", "retention.prune_below=60%",
                "retention.prune_until=70%",
                "retention.refuse_below_inodes=0",
                "retention.prune_below_inodes=0",
                "retention.prune_until_inodes=0"])
            try:
                fixtures.write(os.path.join(h.cache, "tensors", "burgers_128",
                                            "big"), 10 << 20)
                with hyco.Client(socket=h.sock) as c:
                    with self.assertRaises(hyco.NoSpace) as cm:
                        c.get_cycle_dir("synthetic", 1)
                    e = cm.exception
                    self.assertEqual(e.code, "no_space")
                    self.assertIsInstance(e, OSError)
                    self.assertEqual(e.errno, 28)   # ENOSPC
                    self.assertFalse(os.path.exists(os.path.join(
                        h.cache, "generated", "synthetic_preds",
                        "cycle_001")))
            finally:
                h.close()


class TestStandInCodes(unittest.TestCase):
    """Codes hycod has no way to be made to send today."""

    def test_internal_permission_denied_unknown(self):
        answers = {"a": ("internal", hyco.Internal),
                   "b": ("permission_denied", hyco.PermissionDenied),
                   "c": ("new_code", hyco.HycoError)}
        s = StandIn(lambda n, m: reply(m, error={
            "code": answers[m[2]][0], "message": "because"}))
        try:
            with deadline(20), hyco.Client(socket=s.path, timeout=5) as c:
                for method, (code, cls) in answers.items():
                    with self.assertRaises(cls) as cm:
                        c.call(method)
                    self.assertIs(type(cm.exception), cls)
                    self.assertEqual(cm.exception.code, code)
                    self.assertEqual(str(cm.exception),
                                     "%s: because (%s)" % (method, code))
                with self.assertRaises(PermissionError):
                    c.call("b")
                self.assertEqual(s.connections, 1)   # errors keep it open
        finally:
            s.close()


class TestBadInput(DaemonCase):
    """Wrong types are refused before anything is sent, naming the
    argument."""

    def test_types(self):
        c = self.c
        cases = [
            (c.get_cycle_dir, (3, 1), {}, "kind"),
            (c.get_cycle_dir, ("synthetic", "1"), {}, "cycle"),
            (c.get_cycle_dir, ("synthetic", 1.5), {}, "cycle"),
            (c.get_cycle_dir, ("synthetic", None), {}, "cycle"),
            (c.get_cycle_dir, ("synthetic", True), {}, "cycle"),
            (c.get_cycle_dir, ("synthetic", 1), {"dataset": b"x"}, "dataset"),
            (c.cleanup_cycle, (1,), {"wait": "yes"}, "wait"),
            (c.cleanup_cycle, (1,), {"kind": None}, "kind"),
            (c.cleanup_generated, (), {"wait": 1}, "wait"),
            (c.disk_check, (), {"required_bytes": 1.5}, "required_bytes"),
            (c.disk_check, (), {"required_gb": "1"}, "required_gb"),
            (c.clean, (None,), {}, "target"),
            (c.clean, ("eval",), {"confirm": "yes"}, "confirm"),
            (c.prune, (), {"dry_run": 1}, "dry_run"),
            (c.call, (3,), {}, "method"),
            (c.call, ("ping", [1]), {}, "params"),
            (c.call, ("ping", {"x": object()}), {}, "cannot be sent"),
        ]
        c.ping()
        sock = c._sock
        before = self.h.raw("ping")[1]["requests"]
        for fn, a, kw, word in cases:
            with self.assertRaises(TypeError, msg=(fn, a, kw)) as cm:
                fn(*a, **kw)
            self.assertIn(word, str(cm.exception))
        with self.assertRaises(ValueError) as cm:
            c.disk_check(required_bytes=2 ** 64)
        self.assertIn("cannot be sent", str(cm.exception))
        # Nothing went out (only the raw ping after counts), and the
        # connection is still the one it was.
        self.assertEqual(self.h.raw("ping")[1]["requests"], before + 1)
        self.assertIs(c._sock, sock)
        self.assertEqual(c.ping()["pid"], self.h.proc.pid)

    def test_constructor(self):
        with self.assertRaises(TypeError):
            hyco.Client(socket=42)
        with self.assertRaises(ValueError):
            hyco.Client(socket="")
        with self.assertRaises(TypeError):
            hyco.Client(socket=self.h.sock, timeout="1")
        for t in (0, -1, math.nan):
            with self.assertRaises(ValueError):
                hyco.Client(socket=self.h.sock, timeout=t)
        with self.assertRaises(TypeError):
            hyco.Client(config=42)
        c = hyco.Client(socket=self.h.sock, timeout=math.inf)
        self.assertEqual(c.ping()["pid"], self.h.proc.pid)
        c.close()

    def test_surrogate_names_round_trip(self):
        # A dataset name that is not UTF-8 on disk comes back as
        # os.fsdecode gives it, and goes out as the same bytes.
        name = os.fsdecode(b"ds_\xff")
        r = self.c.get_cycle_dir("synthetic", 40, dataset=name)
        self.assertEqual(r["path"], self.pred("synthetic", 40, name))
        self.assertTrue(os.path.isdir(os.fsencode(r["path"])))
        self.assertIn(name, self.c.summary()["datasets"])


class TestDiscovery(unittest.TestCase):
    def setUp(self):
        self.env = os.environ.pop("HYCO_SOCKET", None)
        self.cfgenv = os.environ.pop("HYCO_CONFIG", None)

    def tearDown(self):
        for k, v in (("HYCO_SOCKET", self.env), ("HYCO_CONFIG", self.cfgenv)):
            os.environ.pop(k, None)
            if v is not None:
                os.environ[k] = v

    def test_order(self):
        from omegaconf import OmegaConf
        cfg = {"paths": {"cache_root": "/r"}, "daemon": {"socket": "/d.sock"}}
        self.assertEqual(hyco.Client(config=cfg).socket_path, "/d.sock")
        self.assertEqual(hyco.Client(config={"paths": {"cache_root": "/r/"}}
                                     ).socket_path, "/r/hycod.sock")
        dc = OmegaConf.create({"paths": {"cache_root": "/x"}, "daemon": {
            "socket": "${paths.cache_root}/s.sock"}})
        self.assertEqual(hyco.Client(config=dc).socket_path, "/x/s.sock")
        os.environ["HYCO_SOCKET"] = "/env.sock"
        self.assertEqual(hyco.Client(config=cfg).socket_path, "/env.sock")
        self.assertEqual(hyco.Client(socket="/arg.sock", config=cfg
                                     ).socket_path, "/arg.sock")
        self.assertEqual(hyco.Client(socket="rel.sock").socket_path,
                         os.path.abspath("rel.sock"))

    def test_config_file(self):
        d = tempfile.mkdtemp(prefix="hyco-py-")
        path = fixtures.config_file(d, "/some/root")
        self.assertEqual(hyco.Client(config=path).socket_path,
                         "/some/root/hycod.sock")
        os.environ["HYCO_CONFIG"] = path
        self.assertEqual(hyco.Client().socket_path, "/some/root/hycod.sock")
        with self.assertRaises(hyco.HycoError) as cm:
            hyco.Client(config=os.path.join(d, "missing.yaml"))
        self.assertIn("missing.yaml", str(cm.exception))
        bad = os.path.join(d, "bad.yaml")
        with open(bad, "w") as f:
            f.write("a: [1,\n")
        with self.assertRaises(hyco.HycoError) as cm:
            hyco.Client(config=bad)
        self.assertIn("bad.yaml", str(cm.exception))

    def test_unresolved_dict(self):
        with self.assertRaises(hyco.HycoError) as cm:
            hyco.Client(config={"daemon": {
                "socket": "${paths.cache_root}/hycod.sock"}})
        self.assertIn("not resolved", str(cm.exception))


class TestUnreachable(unittest.TestCase):
    def test_no_socket(self):
        d = tempfile.mkdtemp(prefix="hyco-py-")
        path = os.path.join(d, "none.sock")
        c = hyco.Client(socket=path)
        with deadline(10), self.assertRaises(hyco.Unreachable) as cm:
            c.ping()
        e = cm.exception
        self.assertIsInstance(e, ConnectionError)
        self.assertEqual(e.socket_path, path)
        self.assertIn(path, str(e))
        self.assertIn("hycod -c", str(e))      # the hint to start it

    def test_stale_socket(self):
        d = tempfile.mkdtemp(prefix="hyco-py-")
        path = os.path.join(d, "stale.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.close()       # a socket file nobody listens on
        with deadline(10), self.assertRaises(hyco.Unreachable) as cm:
            hyco.Client(socket=path).summary()
        self.assertIn("nothing listens", str(cm.exception))

    def test_path_too_long(self):
        path = "/tmp/" + "x" * 200 + ".sock"
        with deadline(10), self.assertRaises(hyco.Unreachable):
            hyco.Client(socket=path).ping()


class TestStandInFailures(unittest.TestCase):
    """Failures a real daemon does not produce on demand."""

    def run_standin(self, answer, fn, timeout=5):
        s = StandIn(answer)
        try:
            with deadline(30):
                c = hyco.Client(socket=s.path, timeout=timeout)
                return s, c, fn(c)
        finally:
            s.close()

    def test_lost_reply_is_not_resent(self):
        # The first connection dies with the request read: it may have
        # run, so the client raises and never sends it again; the next
        # call connects afresh.
        def answer(n, m):
            return None if n == 1 else reply(m, {"ok": n})

        def fn(c):
            with self.assertRaises(hyco.ConnectionLost) as cm:
                c.cleanup_cycle(3)
            self.assertIn("not sent again", str(cm.exception))
            time.sleep(0.2)
            return c.ping()
        s, c, r = self.run_standin(answer, fn)
        self.assertEqual([m[2] for m in s.requests],
                         ["cleanup-cycle", "ping"])
        self.assertEqual(r, {"ok": 2})

    def test_timeout(self):
        def answer(n, m):
            return b"" if n == 1 else reply(m, "late")

        def fn(c):
            t = time.monotonic()
            with self.assertRaises(hyco.Timeout) as cm:
                c.ping()
            self.assertLess(time.monotonic() - t, 2)
            self.assertIsInstance(cm.exception, TimeoutError)
            return c.ping()     # a new connection, not the stale reply
        s, c, r = self.run_standin(answer, fn, timeout=0.3)
        self.assertEqual(r, "late")
        self.assertEqual(s.connections, 2)

    def check_refused(self, payload, *, limit=None):
        old = hyco_client.MAX_REPLY_BYTES
        if limit:
            hyco_client.MAX_REPLY_BYTES = limit
        try:
            def fn(c):
                t = time.monotonic()
                with self.assertRaises(hyco.ProtocolError):
                    c.summary()
                self.assertLess(time.monotonic() - t, 2)
                self.assertIsNone(c._sock)
            self.run_standin(lambda n, m: payload(m), fn)
        finally:
            hyco_client.MAX_REPLY_BYTES = old

    def test_bounded_replies(self):
        head = lambda m: b"\x94\x01" + msgpack.packb(m[1]) + b"\xc0"  # noqa
        # Arrays and maps declaring more elements than the limits, data
        # never sent: refused at the header, no wait and no allocation.
        self.check_refused(lambda m: head(m) + b"\xdd\xff\xff\xff\xff")
        self.check_refused(lambda m: head(m) + b"\xdf\xff\xff\xff\xff")
        # Strings, bins and exts over their limits (1 MiB; no ext).
        self.check_refused(lambda m: reply(m, "s" * ((1 << 20) + 1)))
        self.check_refused(lambda m: reply(m, b"b" * ((1 << 20) + 1)))
        self.check_refused(lambda m: head(m) + b"\xd4\x01\x00")   # ext
        # A reply over the whole-reply limit, in many small pieces, and
        # a string declaring 2 GiB whose bytes keep coming: refused once
        # the limit is buffered, whatever was declared.
        self.check_refused(lambda m: reply(m, ["p" * 100] * 2000),
                           limit=64 << 10)
        self.check_refused(lambda m: head(m) + b"\xdb\x7f\xff\xff\xff" +
                           b"s" * (100 << 10), limit=64 << 10)

    def test_notification_skipped(self):
        # msgpack-RPC servers may notify; that is nobody's reply.
        s, c, r = self.run_standin(
            lambda n, m: msgpack.packb([2, "note", []]) + reply(m, 42),
            lambda c: c.ping())
        self.assertEqual(r, 42)

    def test_typed_config_tree(self):
        # What the config method sends: nested maps, typed scalars, and
        # the integer keys YAML allows.
        tree = {"paths": {"cache_root": "/c"}, "n": 1, "f": 2.5, "b": True,
                "z": None, "l": [1, "a"], "ints": {1: "one", -2: "minus"}}
        s, c, r = self.run_standin(lambda n, m: reply(m, tree),
                                   lambda c: c.config())
        self.assertEqual(r, tree)
        self.assertEqual([type(r[k]) for k in ("n", "f", "b")],
                         [int, float, bool])

    def test_malformed_replies(self):
        for payload in [lambda m: b"\xc1",                 # not msgpack
                        lambda m: reply([0, m[1] + 1]),    # wrong msgid
                        lambda m: msgpack.packb([1, m[1], None]),
                        lambda m: reply(m, error="boom"),
                        lambda m: reply(m, error={"message": "no code"})]:
            self.check_refused(payload)


class TestRestart(unittest.TestCase):
    def test_restart_and_reconnect(self):
        h = Hycod()
        try:
            with deadline(60):
                c = hyco.Client(socket=h.sock, timeout=10)
                pid1 = c.ping()["pid"]
                c.get_cycle_dir("synthetic", 1)
                h.restart()
                # The old connection is found closed before anything is
                # written: the request goes to the new daemon, once.
                before = h.raw("ping")[1]["requests"]
                pid2 = c.ping()["pid"]
                self.assertNotEqual(pid1, pid2)
                self.assertEqual(pid2, h.proc.pid)
                self.assertEqual(h.raw("ping")[1]["requests"], before + 2)
                h.stop()
                with self.assertRaises(hyco.Unreachable):
                    c.ping()
                h.start()
                self.assertEqual(c.ping()["pid"], h.proc.pid)
                h.kill()                    # SIGKILL: socket left behind
                with self.assertRaises(hyco.Unreachable):
                    c.summary()
                h.start()
                self.assertEqual(c.summary()["disk"]["path"], h.cache)
        finally:
            h.close()


class TestConcurrency(DaemonCase):
    def test_threads_share_one_client(self):
        errors = []

        def work(t):
            try:
                for i in range(60):
                    cycle = t * 100 + i
                    kind = ("synthetic", "physical")[i % 2]
                    r = self.c.get_cycle_dir(kind, cycle)
                    if r["path"] != self.pred(kind, cycle):
                        errors.append((t, i, r))
                    if self.c.ping()["pid"] != self.h.proc.pid:
                        errors.append((t, i, "ping"))
            except Exception as e:  # noqa: collected, asserted below
                errors.append((t, repr(e)))
        threads = [threading.Thread(target=work, args=(t,))
                   for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(50)
        self.assertEqual(errors, [])
        # One connection served all eight threads.
        self.assertEqual(self.c.ping()["connections"], 1)

    def child(self, fn):
        """Run fn in a forked child; its exit status (0: all held)."""
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                signal_alarm(20)
                code = 0 if fn() else 2
            except BaseException as e:  # noqa: reported through the status
                os.write(2, ("child: %r\n" % e).encode())
            finally:
                os._exit(code)
        return pid

    def test_fork_after_connecting(self):
        c = self.c
        self.assertEqual(c.ping()["connections"], 1)

        def in_child():
            ok = c.ping()["connections"] == 2   # its own connection
            for i in range(200):
                r = c.get_cycle_dir("physical", 500 + i)
                ok = ok and r["path"] == self.pred("physical", 500 + i)
            return ok
        pid = self.child(in_child)
        # Meanwhile the parent uses its connection: every reply its own.
        for i in range(200):
            r = c.get_cycle_dir("synthetic", 300 + i)
            self.assertEqual(r["path"], self.pred("synthetic", 300 + i))
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        self.assertEqual(c.ping()["pid"], self.h.proc.pid)

    def test_fork_while_another_thread_holds_the_lock(self):
        # A fork() while a thread of the parent is mid-call copies a
        # held lock: the child must not wait on it forever.
        stop = threading.Event()

        def busy():
            while not stop.is_set():
                self.c.summary()
        t = threading.Thread(target=busy)
        t.start()
        try:
            time.sleep(0.05)
            pids = [self.child(lambda: self.c.ping()["pid"] ==
                               self.h.proc.pid) for _ in range(5)]
            for pid in pids:
                _, status = os.waitpid(pid, 0)
                self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        finally:
            stop.set()
            t.join()


def signal_alarm(seconds):
    import signal
    signal.signal(signal.SIGALRM, signal.SIG_DFL)   # a hung child dies
    signal.alarm(seconds)


if __name__ == "__main__":
    unittest.main()
