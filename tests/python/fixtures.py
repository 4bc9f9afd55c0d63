"""What the Python client's tests share: a real bin/hycod on a temporary
tree, the trainer's config for it, stand-in daemons that answer what a
real one cannot be made to (internal, permission_denied, a lost reply,
silence, oversized replies), a proxy that adds the ``config`` method
to a daemon without it, and log capture.

Needs $HYCOD and $TOP (make check sets them); else bin/hycod of this
tree.
"""
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import msgpack

TOP = os.environ.get("TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
HYCOD = os.environ.get("HYCOD") or os.path.join(TOP, "bin", "hycod")
PYDIR = os.path.join(TOP, "client", "python")
if PYDIR not in sys.path:
    sys.path.insert(0, PYDIR)

CONF = os.path.join(TOP, "conf", "config.yaml")
SKIPS = []      # reasons, printed by run.py


def skip(test, reason):
    """Skip visibly: the runner prints every reason at the end too."""
    print("SKIPPED: %s" % reason, file=sys.stderr, flush=True)
    SKIPS.append(reason)
    test.skipTest(reason)


def is_root():
    return os.geteuid() == 0


def write(path, size, byte=b"g"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(byte * size)


def config_file(dirpath, cache_root):
    """conf/config.yaml with paths.cache_root set: the one file both the
    daemon (-c) and the trainer (OmegaConf.load) read."""
    with open(CONF) as f:
        text = f.read()
    old = 'cache_root: "cache"'
    assert old in text, "conf/config.yaml changed: %s not found" % old
    path = os.path.join(dirpath, "config.yaml")
    with open(path, "w") as f:
        f.write(text.replace(old, 'cache_root: "%s"' % cache_root))
    return path


def listening(path):
    """Whether a connect to path succeeds. The socket file alone is not
    enough: hycod binds (the file appears), then listens, and a connect
    between the two is refused."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


class Hycod:
    """A real hycod on root/cache (or cache_root), run from root with
    config file root/config.yaml; start(), stop(), kill(), restart()."""

    def __init__(self, root=None, overrides=(), cache_root=None):
        self.own_root = root is None
        self.root = root or tempfile.mkdtemp(prefix="hyco-py-")
        # As written in the config file, and absolute (the daemon runs
        # in root, so a relative one is taken from there).
        self.cfg_root = cache_root or os.path.join(self.root, "cache")
        self.cache = os.path.join(self.root, self.cfg_root)
        self.overrides = list(overrides)
        self.conf = config_file(self.root, self.cfg_root)
        self.sock = os.path.join(self.cache, "hycod.sock")
        self.log = os.path.join(self.root, "hycod.log")
        self.proc = None
        self.start()

    def argv(self, *extra):
        return [HYCOD, "-c", self.conf] + self.overrides + list(extra)

    def start(self):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.proc = subprocess.Popen(self.argv(), cwd=self.root,
                                     stderr=open(self.log, "a"))
        deadline = time.time() + 30
        while not listening(self.sock):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("hycod did not start: %s" %
                                   open(self.log).read()[-2000:])
            time.sleep(0.005)
        # hycod serves during its start-up scan; a plain summary waits
        # for the scan, so each test starts from a tree hycod has read.
        self.raw("summary")

    def stop(self):
        """SIGTERM; the exit status (None: not running). A daemon that
        had died already gives its status (a signal: negative)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
        rc = self.proc.wait(30)
        self.proc = None
        return rc

    def log_tail(self, n=3000):
        try:
            with open(self.log) as f:
                return f.read()[-n:]
        except OSError as e:
            return str(e)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def restart(self):
        self.stop()
        self.start()

    def close(self):
        """Stop and clean up; a daemon that does not exit 0 on SIGTERM
        (it crashed, or something killed it) fails the test, with its
        log."""
        rc = self.stop()
        log = self.log_tail()
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)
        if rc not in (0, None):
            raise AssertionError("hycod exited %r; its log:\n%s" % (rc, log))

    def print_config(self):
        """The resolved tree, as hycod --print-config gives it, typed."""
        import yaml
        out = subprocess.run(self.argv("--print-config"), cwd=self.root,
                             check=True, capture_output=True, text=True)
        return yaml.safe_load(out.stdout)

    def trainer_config(self, *dotlist, resolve=False):
        """The trainer's view: the same file through OmegaConf (a
        DictConfig; resolve=True: a plain dict, resolved)."""
        from omegaconf import OmegaConf
        cfg = OmegaConf.load(self.conf)
        if dotlist:
            cfg = OmegaConf.merge(cfg, OmegaConf.from_dotlist(list(dotlist)))
        if resolve:
            return OmegaConf.to_container(cfg, resolve=True)
        return cfg

    def raw(self, method, **params):
        """(error, result) on a fresh connection, no hyco code involved."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(self.sock)
        s.sendall(msgpack.packb([0, 1, method, [params] if params else []]))
        u = msgpack.Unpacker(raw=False)
        try:
            while True:
                data = s.recv(1 << 20)
                if not data:
                    return ({"code": "closed"}, None)
                u.feed(data)
                for m in u:
                    return (m[2], m[3])
        finally:
            s.close()

    def settle(self):
        """Wait until summary is exact with the trash empty."""
        deadline = time.time() + 30
        while True:
            err, s = self.raw("summary")
            if s["exact"] and s["trash_items"] == 0 and not s["pruning"]:
                return s
            if time.time() > deadline:
                raise RuntimeError("hycod did not settle: %r" % s)
            time.sleep(0.01)


class StandIn:
    """A fake daemon on its own socket: answer(conn_no, msg) returns the
    bytes to send back (b"" none, None: close the connection). Counts
    the requests and connections it saw."""

    def __init__(self, answer):
        self.dir = tempfile.mkdtemp(prefix="hyco-standin-")
        self.path = os.path.join(self.dir, "s.sock")
        self.answer = answer
        self.requests = []
        self.connections = 0
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.path)
        self.srv.listen(16)
        self.stopping = False
        self.socks = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stopping:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            self.connections += 1
            self.socks.append(c)
            threading.Thread(target=self.conn, args=(c, self.connections),
                             daemon=True).start()

    def conn(self, c, n):
        u = msgpack.Unpacker(raw=False)
        try:
            while True:
                data = c.recv(1 << 16)
                if not data:
                    return
                u.feed(data)
                for msg in u:
                    self.requests.append(msg)
                    out = self.answer(n, msg)
                    if out is None:
                        c.close()
                        return
                    if out:
                        c.sendall(out)
        except OSError:
            with contextlib.suppress(OSError):
                c.close()

    def close(self):
        self.stopping = True
        self.srv.close()
        for c in self.socks:
            with contextlib.suppress(OSError):
                c.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def reply(msg, result=None, error=None):
    return msgpack.packb([1, msg[1], error, result])


class ConfigProxy:
    """In front of a real hycod: answers ``config`` with the tree
    ``hycod --print-config`` prints (what the method will return), and
    passes every other request through on a connection of its own per
    client connection (so leases stay per connection)."""

    def __init__(self, hycod, tree=None):
        self.hycod = hycod
        self.tree = tree if tree is not None else hycod.print_config()
        self.standin = StandIn(self.answer)
        self.path = self.standin.path
        self.up = {}

    def answer(self, n, msg):
        if msg[2] == "config":
            return reply(msg, self.tree)
        try:
            return self.forward(n, msg)
        except OSError as e:
            # Say so, rather than leave the client to its own timeout.
            sys.stderr.write("ConfigProxy: %r to hycod failed: %s; its "
                             "log:\n%s\n" % (msg, e, self.hycod.log_tail()))
            return None

    def forward(self, n, msg):
        up = self.up.get(n)
        if up is None:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(20)
            s.connect(self.hycod.sock)
            up = self.up[n] = (s, msgpack.Unpacker(raw=False))
        s, u = up
        s.sendall(msgpack.packb(msg))
        while True:
            for m in u:
                return msgpack.packb(m)
            data = s.recv(1 << 20)      # socket.timeout is an OSError
            if not data:
                raise OSError("hycod closed the connection")
            u.feed(data)

    def close(self):
        self.standin.close()
        for s, _ in self.up.values():
            s.close()


class Capture(logging.Handler):
    """(levelname, message) of every record of a logger at INFO and
    above, as `with Capture("name") as c:` ... c.records."""

    def __init__(self, name, level=logging.INFO):
        super().__init__(level)
        self.logger = logging.getLogger(name)
        self.records = []

    def emit(self, record):
        self.records.append((record.levelname, record.getMessage()))

    def __enter__(self):
        self.old = self.logger.level
        self.logger.setLevel(logging.DEBUG)
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self)
        self.logger.setLevel(self.old)


@contextlib.contextmanager
def tmpfs(size="64m"):
    """A private tmpfs mounted on a new directory (root only)."""
    d = tempfile.mkdtemp(prefix="hyco-py-fs-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "none",
                    d], check=True)
    try:
        yield d
    finally:
        subprocess.run(["umount", "-l", d])
        os.rmdir(d)


@contextlib.contextmanager
def deadline(seconds):
    """Fail a test that would hang: SIGALRM after seconds."""
    def boom(*_):
        raise TimeoutError("test took longer than %d s" % seconds)
    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
