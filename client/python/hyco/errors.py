"""The exceptions of the hyco package: one base class, one class per
failure a caller handles differently.

Every wire error code of hycod (protocol/PROTOCOL.md, "Error codes") has
its class; a code this version does not know yet arrives as a plain
HycoError with its ``code`` set. Classes also derive from the builtin
exception a Python caller already catches for the same failure, so code
written for the seed's CacheManager keeps working: a full filesystem is
an OSError with errno ENOSPC there and here, a bad argument a
ValueError, a lost connection a ConnectionError.
"""
import errno
from typing import Dict, Optional, Type

__all__ = [
    "HycoError", "Unreachable", "ConnectionLost", "Timeout",
    "ProtocolError", "ConfigMismatch", "InvalidArgument", "UnknownMethod",
    "TooLarge", "DaemonIOError", "NoSpace", "Internal", "PermissionDenied",
    "from_wire",
]


class HycoError(Exception):
    """Base of every error this package raises on its own account.

    ``code`` is the wire code when the daemon answered with an error
    (else None), ``method`` the RPC method that failed (when one did),
    ``message`` the text for people (it may change between versions:
    act on the class or ``code``, never on the text).
    """

    code: Optional[str] = None

    def __init__(self, message: str, *, code: Optional[str] = None,
                 method: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.method = method

    def __str__(self) -> str:
        return self.message


class Unreachable(HycoError, ConnectionError):
    """No daemon answers at the socket: not running, a stale socket, a
    wrong path, or no permission to connect. ``socket_path`` is where
    the client looked, ``reason`` why it failed; the message adds how
    to start the daemon. Nothing was sent."""

    def __init__(self, socket_path: str, reason: str) -> None:
        self.socket_path = socket_path
        self.reason = reason
        super().__init__(
            "cannot reach hycod at %s: %s. Is the daemon running? Start "
            "it with `hycod -c <your config.yaml>` (or `systemctl start "
            "hycod`), or point $HYCO_SOCKET at its socket" %
            (socket_path, reason))


class ConnectionLost(HycoError, ConnectionError):
    """The connection closed after the request was sent and before its
    reply came: the request may have run, so it is not sent again. The
    next call connects afresh."""


class Timeout(HycoError, TimeoutError):
    """No reply within the client's timeout. The connection is closed
    (a late reply must not be read as the answer to a later request);
    the request may still run in the daemon."""


class ProtocolError(HycoError):
    """A reply that is not what protocol/PROTOCOL.md says (wrong shape,
    wrong msgid, over the client's size limits). The connection is
    closed."""


class ConfigMismatch(HycoError):
    """The trainer's configuration and the daemon's name different
    paths (or datasets): the trainer would write where the daemon does
    not look. ``differences`` lists (key, trainer value, daemon value).
    """

    def __init__(self, message: str, differences=()) -> None:
        super().__init__(message)
        self.differences = list(differences)


class InvalidArgument(HycoError, ValueError):
    """``invalid_argument``: a wrong type, missing, unknown or
    out-of-range argument (a negative cycle, an empty dataset name,
    ``clean`` without ``confirm=True``)."""

    code = "invalid_argument"


class UnknownMethod(HycoError):
    """``unknown_method``: the daemon has no such method (an older
    daemon than this client)."""

    code = "unknown_method"


class TooLarge(HycoError):
    """``too_large``: the request was over ``daemon.max_request_bytes``;
    the daemon closed the connection (the next call reconnects)."""

    code = "too_large"


class DaemonIOError(HycoError, OSError):
    """``io_error``: the filesystem refused the daemon (the message
    names the operation, the path and the system's reason)."""

    code = "io_error"


class NoSpace(HycoError, OSError):
    """``no_space``: the filesystem is full, or below
    ``retention.refuse_below``. ``errno`` is ENOSPC, as a full disk
    gives the seed's own ``mkdir``."""

    code = "no_space"

    def __init__(self, message: str, **kw) -> None:
        super().__init__(message, **kw)
        self.errno = errno.ENOSPC
        self.strerror = message


class Internal(HycoError):
    """``internal``: the daemon could not do its own part (out of
    memory, thread pool); retrying later may work."""

    code = "internal"


class PermissionDenied(HycoError, PermissionError):
    """``permission_denied``: the daemon refuses this caller the
    method."""

    code = "permission_denied"

    def __init__(self, message: str, **kw) -> None:
        super().__init__(message, **kw)
        self.errno = errno.EACCES
        self.strerror = message


_BY_CODE: Dict[str, Type[HycoError]] = {
    c.code: c for c in (InvalidArgument, UnknownMethod, TooLarge,
                        DaemonIOError, NoSpace, Internal, PermissionDenied)
}


def from_wire(method: str, code: str, message: str) -> HycoError:
    """The exception for an error reply to method."""
    cls = _BY_CODE.get(code)
    text = "%s: %s (%s)" % (method, message, code)
    if cls is None:
        return HycoError(text, code=code, method=method)
    return cls(text, code=code, method=method)
