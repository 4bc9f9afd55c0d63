"""hyco: Python client of hycod, the daemon that owns the cache tree of
hybrid PDE training runs.

    import hyco
    cache = hyco.CacheManager(cfg)          # the seed's CacheManager
    with hyco.Client() as c:                # one method per RPC method
        print(c.summary()["total"])

Importing this package does nothing else: no connection is made and no
configuration is read until a Client or CacheManager is used.
"""
from .cache_manager import CACHE_TYPES, CacheManager, CycleDirs
from .client import DEFAULT_TIMEOUT, MAX_REPLY_BYTES, Client
from .errors import (ConfigMismatch, ConnectionLost, DaemonIOError,
                     HycoError, Internal, InvalidArgument, NoSpace,
                     PermissionDenied, ProtocolError, Timeout, TooLarge,
                     UnknownMethod, Unreachable)

__version__ = "0.1.0"

__all__ = [
    "Client", "CacheManager", "CycleDirs", "CACHE_TYPES",
    "DEFAULT_TIMEOUT", "MAX_REPLY_BYTES",
    "HycoError", "Unreachable", "ConnectionLost", "Timeout",
    "ProtocolError", "ConfigMismatch", "InvalidArgument", "UnknownMethod",
    "TooLarge", "DaemonIOError", "NoSpace", "Internal", "PermissionDenied",
    "__version__",
]
