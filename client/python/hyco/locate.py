"""Where the daemon's socket is, found as hycoctl finds it: an explicit
path, else $HYCO_SOCKET, else ``daemon.socket`` of the configuration.

A configuration is either a mapping (a dict, or an OmegaConf
``DictConfig``, which resolves its interpolations as it is read) or the
path of a YAML file. A file is read with ``OmegaConf.load`` when
omegaconf is importable: that resolves ``${...}`` as the trainer does,
but does not compose a Hydra ``defaults:`` list (pass Hydra's composed
``cfg`` for that, or the socket itself). Without a configuration the
default file is used as hycod's: $HYCO_CONFIG, ./conf/config.yaml,
/etc/hyco/config.yaml; failing all, the built-in default
``cache/hycod.sock``.
"""
import os
from collections.abc import Mapping
from typing import Any, Optional, Union

from .errors import HycoError

__all__ = ["socket_path", "load_config", "lookup", "default_config",
           "DEFAULT_CONFIGS"]

# hycod's own default config files, in the order it tries them.
DEFAULT_CONFIGS = ("conf/config.yaml", "/etc/hyco/config.yaml")
# hycod's built-in defaults for the two keys that place the socket.
DEFAULT_CACHE_ROOT = "cache"
SOCKET_NAME = "hycod.sock"

PathLike = Union[str, "os.PathLike[str]"]


def load_config(path: PathLike) -> Any:
    """The YAML file at path as an OmegaConf DictConfig."""
    try:
        from omegaconf import OmegaConf
    except ImportError:
        raise HycoError("reading the config file %s needs omegaconf; pass "
                        "socket= (or set $HYCO_SOCKET), or a config "
                        "mapping" % os.fspath(path)) from None
    try:
        return OmegaConf.load(os.fspath(path))
    except OSError as e:
        raise HycoError("cannot read the config file %s: %s" %
                        (os.fspath(path), e.strerror or e)) from e
    except Exception as e:  # omegaconf and yaml errors have no common base
        raise HycoError("cannot parse the config file %s: %s" %
                        (os.fspath(path), e)) from e


def lookup(config: Any, dotted: str, default: Any = None) -> Any:
    """config[a][b]... for "a.b...", or default where a level is missing.
    Works on dicts and DictConfigs alike (reading resolves)."""
    node = config
    for part in dotted.split("."):
        if not isinstance(node, Mapping) and not _is_dictconfig(node):
            return default
        if part not in node:
            return default
        node = node[part]
    return node


def _is_dictconfig(v: Any) -> bool:
    return type(v).__name__ == "DictConfig"


def default_config() -> Optional[str]:
    env = os.environ.get("HYCO_CONFIG")
    if env:
        return env
    for p in DEFAULT_CONFIGS:
        if os.access(p, os.R_OK):
            return p
    return None


def _from_config(config: Any) -> str:
    sock = lookup(config, "daemon.socket")
    if sock is None:
        root = lookup(config, "paths.cache_root", DEFAULT_CACHE_ROOT)
        if not isinstance(root, str) or not root:
            raise HycoError("config: paths.cache_root must be a non-empty "
                            "string, not %r" % (root,))
        sock = root.rstrip("/") + "/" + SOCKET_NAME
    if not isinstance(sock, str) or not sock:
        raise HycoError("config: daemon.socket must be a non-empty string, "
                        "not %r" % (sock,))
    if "${" in sock:
        raise HycoError("config: daemon.socket %r is not resolved; pass an "
                        "OmegaConf DictConfig, or "
                        "OmegaConf.to_container(cfg, resolve=True)" % sock)
    return sock


def socket_path(socket: Optional[PathLike] = None,
                config: Any = None) -> str:
    """The absolute path of the daemon's socket (relative paths are
    taken from the current directory, as hycoctl does)."""
    if socket is not None:
        if not isinstance(socket, (str, os.PathLike)):
            raise TypeError("socket must be a path, not %s" %
                            type(socket).__name__)
        path = os.fspath(socket)
        if not isinstance(path, str) or not path:
            raise ValueError("socket must be a non-empty path")
        return os.path.abspath(path)
    env = os.environ.get("HYCO_SOCKET")
    if env:
        return os.path.abspath(env)
    if config is None:
        default = default_config()
        if default is None:
            return os.path.abspath(DEFAULT_CACHE_ROOT + "/" + SOCKET_NAME)
        config = default
    if isinstance(config, (str, os.PathLike)):
        config = load_config(config)
    if not isinstance(config, Mapping) and not _is_dictconfig(config):
        raise TypeError("config must be a mapping (dict, DictConfig) or a "
                        "file path, not %s" % type(config).__name__)
    return os.path.abspath(_from_config(config))
