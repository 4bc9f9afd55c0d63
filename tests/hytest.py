"""hytest.py: what the Python tests share: the check counter, writing
a file of a given size, and a raw msgpack-RPC connection."""
import os
import socket
import subprocess

import msgpack


class Checks:
    """check(cond, what) counts; summary() prints "name: N passed, M
    failed" and says whether all held."""

    def __init__(self, name):
        self.name = name
        self.passed = self.failed = 0

    def __call__(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL:", what)
        return bool(cond)

    def summary(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed,
                                            self.failed))
        return self.failed == 0


def mount_tmpfs(name, what, mnt, options):
    """Mount a tmpfs at mnt for a case that needs one; False, having
    said SKIPPED and why (not root, or the mount refused), if not."""
    if os.geteuid() != 0:
        print("%s: SKIPPED %s: needs root to mount a tmpfs" % (name, what))
        return False
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "none", mnt],
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        print("%s: SKIPPED %s: mount refused: %s" % (name, what,
                                                     r.stderr.strip()))
        return False
    return True


def write(path, size):
    """A file of size bytes (b"g" each) at path, directories and all."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"g" * size)


def next_msg(sock, unpacker):
    """The next msgpack message from sock through unpacker; None at EOF."""
    while True:
        for msg in unpacker:
            return msg
        data = sock.recv(65536)
        if not data:
            return None
        unpacker.feed(data)


class Conn:
    """One raw connection to hycod: send messages, read them back whole.
    Tests add their own call() on top."""

    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.u = msgpack.Unpacker(raw=False)

    def send(self, *msgs):
        self.s.sendall(b"".join(msgpack.packb(m) for m in msgs))

    def next(self):
        """The next message, or None once the daemon closes."""
        try:
            return next_msg(self.s, self.u)
        except ConnectionResetError:
            return None  # closed with our bytes unread

    def close(self):
        self.s.close()
