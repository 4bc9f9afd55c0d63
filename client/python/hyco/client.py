"""hyco.Client: one msgpack-RPC connection to hycod, one method per RPC
method (protocol/PROTOCOL.md).

A call is one request and its reply, under a lock, so threads may share
a client (they take turns; give each thread its own client to overlap
requests). Before each call the client compares os.getpid() with the
pid that opened its connection: a forked child (a PyTorch DataLoader
worker) opens a connection of its own and never reads the parent's
replies. It connects on the first call, and again after the daemon
closed the connection (a restart): a stale connection is noticed before
a request is written. A request is sent again only when it cannot have
run (its bytes did not all go out); once it was sent whole, a broken
connection raises ConnectionLost and a late reply Timeout, because the
daemon may have run it (a cleanup must not run twice behind the
caller's back).
"""
import math
import operator
import os
import socket as _socket
import threading
import time
from typing import Any, Dict, Optional

import msgpack

from . import locate
from .errors import (ConnectionLost, HycoError, ProtocolError, Timeout,
                     TooLarge, Unreachable, from_wire)

__all__ = ["Client", "DEFAULT_TIMEOUT", "MAX_REPLY_BYTES"]

# Seconds a call may take, connecting included, unless the caller says
# otherwise: long enough for a removal with wait=True of a big cycle,
# short enough that a stuck daemon does not hang a training run.
DEFAULT_TIMEOUT = 60.0

# Limits on a reply, checked by the unpacker from the sizes each
# msgpack header declares, before anything is allocated for them. A
# summary of 100k cycles is about 5 MB.
MAX_REPLY_BYTES = 64 << 20      # one reply, whole
MAX_STR_LEN = 1 << 20           # a path, a name or a message
MAX_BIN_LEN = 1 << 20           # hycod sends no bin; refuse big ones
MAX_ARRAY_LEN = 1 << 22         # cycles, removed paths, prune items
MAX_MAP_LEN = 1 << 22           # datasets
MAX_EXT_LEN = 0                 # hycod sends no ext types at all

RECV_BYTES = 1 << 16
MSGID_LIMIT = 1 << 32           # msgid is a uint32 on the wire
RESPONSE, NOTIFICATION = 1, 2


def _check_timeout(timeout: Optional[float]) -> float:
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError("timeout must be a number of seconds, not %s" %
                        type(timeout).__name__)
    if not timeout > 0:     # also refuses NaN
        raise ValueError("timeout must be > 0 seconds (math.inf: no "
                         "limit), not %r" % timeout)
    return float(timeout)


def _int(name: str, v: Any) -> int:
    if isinstance(v, bool):
        raise TypeError("%s must be an int, not bool" % name)
    try:
        return operator.index(v)    # int, numpy integers
    except TypeError:
        raise TypeError("%s must be an int, not %s" %
                        (name, type(v).__name__)) from None


def _str(name: str, v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError("%s must be a str, not %s" %
                        (name, type(v).__name__))
    return v


def _bool(name: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise TypeError("%s must be a bool, not %s" %
                        (name, type(v).__name__))
    return v


def _number(name: str, v: Any) -> float:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    if not isinstance(v, (str, bytes, bool)):
        try:    # numpy scalars and the like
            return float(operator.index(v))
        except TypeError:
            pass
        if hasattr(v, "__float__"):
            return float(v)
    raise TypeError("%s must be a number, not %s" % (name, type(v).__name__))


class Client:
    """A connection to hycod.

    ``socket``: the socket's path; else $HYCO_SOCKET; else
    ``daemon.socket`` of ``config`` (a dict, an OmegaConf DictConfig or
    a YAML file's path; default: hycod's own default config).
    ``timeout``: seconds each call may take (None: DEFAULT_TIMEOUT;
    math.inf: no limit).

    Nothing happens until the first call (or ``connect()``). Every
    method returns the reply's result as plain dicts and lists, raises
    a HycoError subclass when the daemon answers with an error, and
    Unreachable, ConnectionLost, Timeout or ProtocolError when there is
    no proper answer.
    """

    def __init__(self, socket: Optional[locate.PathLike] = None,
                 config: Any = None,
                 timeout: Optional[float] = None) -> None:
        self._timeout = _check_timeout(timeout)
        self._path = locate.socket_path(socket, config)
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._sock: Optional[_socket.socket] = None
        self._unpacker: Optional[msgpack.Unpacker] = None
        self._packer = msgpack.Packer(unicode_errors="surrogateescape")
        self._msgid = 0

    # ---- connection --------------------------------------------------
    @property
    def socket_path(self) -> str:
        """The absolute path of the socket this client connects to."""
        return self._path

    @property
    def timeout(self) -> float:
        """Seconds each call may take."""
        return self._timeout

    def __repr__(self) -> str:
        return "hyco.Client(socket=%r, timeout=%r)" % (self._path,
                                                       self._timeout)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        sock = getattr(self, "_sock", None)
        if sock is not None:
            sock.close()

    def connect(self) -> None:
        """Connect now rather than at the first call (Unreachable if no
        daemon listens)."""
        self._after_fork()
        with self._lock:
            if self._sock is not None and not self._alive():
                self._drop()
            if self._sock is None:
                self._connect(time.monotonic() + self._timeout)

    def close(self) -> None:
        """Close the connection (the daemon drops this connection's
        leases). The client stays usable: the next call reconnects."""
        self._after_fork()
        with self._lock:
            self._drop()

    def _after_fork(self) -> None:
        """In a forked child: forget the parent's connection and lock.
        The child's copy of the descriptor is closed, which leaves the
        parent's connection open (only shutdown() would end it for
        both); a lock another thread held at fork() would stay held
        forever in the child, so it is replaced."""
        if self._pid == os.getpid():
            return
        self._lock = threading.Lock()
        if self._sock is not None:
            self._sock.close()
        self._sock = None
        self._unpacker = None
        self._pid = os.getpid()

    def _drop(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock = None
        self._unpacker = None

    def _remaining(self, deadline: float, what: str) -> Optional[float]:
        """Seconds left before deadline (None: no limit); Timeout once
        none are. Called outside the try blocks below: Timeout is a
        TimeoutError, which they catch as socket.timeout."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout("%s: no answer from hycod at %s within %g s" %
                          (what, self._path, self._timeout))
        return None if math.isinf(left) else left

    def _connect(self, deadline: float) -> None:
        left = self._remaining(deadline, "connect")
        s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            s.settimeout(left)
            s.connect(self._path)
        except FileNotFoundError:
            s.close()
            raise Unreachable(self._path, "no socket there") from None
        except ConnectionRefusedError:
            s.close()
            raise Unreachable(self._path, "nothing listens on it (a "
                              "socket left by a daemon that stopped)") \
                from None
        except PermissionError:
            s.close()
            raise Unreachable(self._path, "permission denied (see "
                              "daemon.socket_mode and the socket's "
                              "group)") from None
        except _socket.timeout:
            s.close()
            raise Timeout("connect to %s: no answer within %g s" %
                          (self._path, self._timeout)) from None
        except OSError as e:
            s.close()
            raise Unreachable(self._path, e.strerror or str(e)) from None
        self._sock = s
        # strict_map_key off: a config tree may have integer keys, as
        # YAML and OmegaConf allow.
        self._unpacker = msgpack.Unpacker(
            raw=False, unicode_errors="surrogateescape",
            strict_map_key=False,
            max_buffer_size=MAX_REPLY_BYTES, max_str_len=MAX_STR_LEN,
            max_bin_len=MAX_BIN_LEN, max_array_len=MAX_ARRAY_LEN,
            max_map_len=MAX_MAP_LEN, max_ext_len=MAX_EXT_LEN)

    def _alive(self) -> bool:
        """Whether the open connection still stands: the daemon closes
        connections when it stops, and that shows as end-of-file before
        anything is written. A byte waiting here would be a reply to
        nothing, so such a connection is not trusted either. (A socket
        with a timeout would wait that long first: non-blocking here.)"""
        try:
            self._sock.settimeout(0)
            self._sock.recv(1, _socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            pass
        return False

    # ---- one request, one reply --------------------------------------
    def call(self, method: str, params: Optional[Dict[str, Any]] = None
             ) -> Any:
        """Send one request and return its result; the typed methods
        below are this with their arguments checked. ``params`` are the
        named arguments (None or {}: none)."""
        _str("method", method)
        if params is not None and not isinstance(params, dict):
            raise TypeError("params must be a dict, not %s" %
                            type(params).__name__)
        self._after_fork()
        with self._lock:
            data = self._pack(method, params or {})     # nothing sent yet
            try:
                return self._roundtrip(method, self._msgid, data)
            except HycoError:
                raise
            except BaseException:
                # KeyboardInterrupt (or a bug) half-way: a reply may
                # still come, and must not be read as the next one's.
                self._drop()
                raise

    def _pack(self, method: str, params: Dict[str, Any]) -> bytes:
        self._msgid = (self._msgid + 1) % MSGID_LIMIT
        try:
            return self._packer.pack(
                [0, self._msgid, method, [params] if params else []])
        except TypeError as e:
            raise TypeError("%s: an argument cannot be sent: %s" %
                            (method, e)) from None
        except (ValueError, OverflowError) as e:    # ints over 64 bits
            raise ValueError("%s: an argument cannot be sent: %s" %
                             (method, e)) from None

    def _roundtrip(self, method: str, msgid: int, data: bytes) -> Any:
        deadline = time.monotonic() + self._timeout
        for attempt in (1, 2):
            if self._sock is not None and not self._alive():
                self._drop()
            if self._sock is None:
                self._connect(deadline)
            left = self._remaining(deadline, method)
            try:
                self._sock.settimeout(left)
                self._sock.sendall(data)
                break
            except _socket.timeout:
                self._drop()
                raise Timeout("%s: could not send to hycod at %s within "
                              "%g s" % (method, self._path, self._timeout),
                              method=method) from None
            except OSError as e:
                # Not every byte went out, so the daemon cannot have
                # run the request. It may have answered before closing
                # (too_large does exactly that): read what is there.
                reply = self._pending_reply()
                self._drop()
                if reply is not None:
                    return self._result(method, msgid, reply)
                if attempt == 2:
                    raise ConnectionLost(
                        "%s: hycod at %s closed the connection while the "
                        "request was being sent (%s); it did not run" %
                        (method, self._path, e.strerror or e),
                        method=method) from None
        return self._result(method, msgid, self._read(method, deadline))

    def _pending_reply(self) -> Optional[Any]:
        """A message already received on a connection that broke."""
        try:
            self._sock.settimeout(0)
            while True:
                chunk = self._sock.recv(RECV_BYTES)
                if not chunk:
                    break
                self._unpacker.feed(chunk)
        except (OSError, ValueError, msgpack.UnpackException):
            pass
        try:
            for msg in self._unpacker:
                return msg
        except (ValueError, msgpack.UnpackException):
            pass
        return None

    def _read(self, method: str, deadline: float) -> Any:
        """The next message that is not a notification."""
        while True:
            try:
                for msg in self._unpacker:
                    # msgpack-RPC lets a server notify; hycod does not
                    # yet, and a notification is nobody's reply.
                    if (isinstance(msg, list) and len(msg) == 3 and
                            msg[0] == NOTIFICATION):
                        continue
                    return msg
            except (ValueError, msgpack.UnpackException) as e:
                self._drop()
                raise ProtocolError("%s: reply refused: %s" % (method, e),
                                    method=method) from None
            try:
                left = self._remaining(deadline, method)
            except Timeout:
                self._drop()
                raise
            try:
                self._sock.settimeout(left)
                chunk = self._sock.recv(RECV_BYTES)
            except _socket.timeout:
                self._drop()
                raise Timeout("%s: no reply from hycod at %s within %g s; "
                              "the connection was closed and the request "
                              "may still run" %
                              (method, self._path, self._timeout),
                              method=method) from None
            except OSError:     # reset: the daemon closed with bytes unread
                chunk = b""
            if not chunk:
                self._drop()
                raise ConnectionLost(
                    "%s: hycod at %s closed the connection before "
                    "replying; the request may have run, so it is not "
                    "sent again" % (method, self._path), method=method)
            try:
                self._unpacker.feed(chunk)
            except (ValueError, msgpack.UnpackException):
                self._drop()
                raise ProtocolError(
                    "%s: reply larger than %d bytes refused" %
                    (method, MAX_REPLY_BYTES), method=method) from None

    def _result(self, method: str, msgid: int, msg: Any) -> Any:
        if (not isinstance(msg, list) or len(msg) != 4 or
                msg[0] != RESPONSE or msg[1] != msgid):
            self._drop()
            raise ProtocolError("%s: not the reply to request %d: %.200r" %
                                (method, msgid, msg), method=method)
        err, result = msg[2], msg[3]
        if err is None:
            return result
        if (not isinstance(err, dict) or not isinstance(err.get("code"), str)
                or not isinstance(err.get("message", ""), str)):
            self._drop()
            raise ProtocolError("%s: malformed error: %.200r" % (method, err),
                                method=method)
        if err["code"] == TooLarge.code:
            self._drop()    # the daemon closes this connection
        raise from_wire(method, err["code"], err.get("message", ""))

    # ---- the methods -------------------------------------------------
    def ping(self) -> Dict[str, Any]:
        """{"version", "pid", "uptime_s", "connections", "requests"}."""
        return self.call("ping")

    def get_cycle_dir(self, kind: str, cycle: int, *,
                      dataset: Optional[str] = None) -> Dict[str, Any]:
        """Create (if needed) and lease <pred_cache of kind>/cycle_NNN/
        <dataset>: {"path": str, "created": bool}. This connection now
        leases that cycle of that kind, until it asks for another cycle
        of the kind or closes."""
        p = {"kind": _str("kind", kind), "cycle": _int("cycle", cycle)}
        if dataset is not None:
            p["dataset"] = _str("dataset", dataset)
        return self.call("get-cycle-dir", p)

    def cleanup_cycle(self, cycle: int, *, kind: str = "all",
                      wait: bool = False) -> Dict[str, Any]:
        """Remove cycle_NNN of the kind ("synthetic", "physical", "all"):
        {"freed_bytes", "leased", "removed"}."""
        return self.call("cleanup-cycle", {
            "cycle": _int("cycle", cycle), "kind": _str("kind", kind),
            "wait": _bool("wait", wait)})

    def cleanup_generated(self, *, wait: bool = False) -> Dict[str, Any]:
        """Empty both prediction caches: {"freed_bytes"}."""
        return self.call("cleanup-generated", {"wait": _bool("wait", wait)})

    def summary(self) -> Dict[str, Any]:
        """Sizes, datasets, cycles, disk and counters (PROTOCOL.md)."""
        return self.call("summary")

    def disk_check(self, *, required_bytes: Optional[int] = None,
                   required_gb: Optional[float] = None) -> Dict[str, Any]:
        """Exactly one of required_bytes or required_gb (1e9 bytes):
        {"ok", "available_bytes", "required_bytes", "path"}."""
        p: Dict[str, Any] = {}
        if required_bytes is not None:
            p["required_bytes"] = _int("required_bytes", required_bytes)
        if required_gb is not None:
            p["required_gb"] = _number("required_gb", required_gb)
        return self.call("disk-check", p)

    def clean(self, target: str, *, dataset: Optional[str] = None,
              confirm: bool = False, wait: bool = False) -> Dict[str, Any]:
        """Remove the "tensors", "eval", "generated" or "all" cache (of
        one dataset): {"freed_bytes", "removed"}. The daemon refuses
        without confirm=True."""
        p = {"target": _str("target", target),
             "confirm": _bool("confirm", confirm),
             "wait": _bool("wait", wait)}
        if dataset is not None:
            p["dataset"] = _str("dataset", dataset)
        return self.call("clean", p)

    def prune(self, *, dry_run: bool = False) -> Dict[str, Any]:
        """What retention would remove now and why ({"dry_run",
        "exact", "items"}); without dry_run it then removes it."""
        return self.call("prune", {"dry_run": _bool("dry_run", dry_run)})

    def config(self) -> Dict[str, Any]:
        """The daemon's configuration: ``{"config": tree, "effective":
        {...}, "cwd": str}``, the resolved tree as ``hycod --print-config``
        prints it (scalars and keys typed), the absolute paths and
        dataset the daemon acts on, and its working directory (see
        protocol/PROTOCOL.md). An older daemon answers UnknownMethod."""
        return self.call("config")
