"""Whether a trainer's configuration and hycod's name the same tree.

Paths are compared as the daemon makes them absolute (layout_absolute in
daemon/layout.c): joined to the working directory, then ``.``, ``..``
and repeated slashes folded without looking at the filesystem. Two
paths that differ that way but name the same existing directory (a
symlink on one side) agree too.
"""
import os
from typing import Any, List, Optional, Tuple

from .locate import lookup

__all__ = ["absolute", "same_path", "daemon_cwd", "compare", "config_tree",
           "KEYS"]

# What the seed's CacheManager reads from the config: (key, is a path).
KEYS = (
    ("paths.tensor_cache_dir", True),
    ("paths.generated_cache_dir", True),
    ("paths.eval_cache_dir", True),
    ("data.dset_name", False),
    ("trainer.synthetic_pred_cache", True),
    ("trainer.physical_pred_cache", True),
)
# Where the daemon measures free space, and places its socket and
# trash: compared when the trainer's config has it.
CACHE_ROOT = "paths.cache_root"


def absolute(path: str, cwd: str) -> str:
    """path made absolute against cwd, folded lexically."""
    full = path if path.startswith("/") else cwd + "/" + path
    out: List[str] = []
    for part in full.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(part)
    return "/" + "/".join(out)


def same_path(a: str, b: str) -> bool:
    """Two absolute paths naming the same place."""
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def daemon_cwd(tree_root: Any, abs_root: Any) -> Optional[str]:
    """The daemon's working directory, from its cache_root as its config
    tree gives it (maybe relative) and as summary's disk.path gives it
    (absolute): the relative path's components peeled off the absolute
    one. None when that cannot be told (a root climbing with "..")."""
    if not isinstance(tree_root, str) or not isinstance(abs_root, str):
        return None
    if tree_root.startswith("/"):
        return None     # the root says nothing of the working directory
    parts = [p for p in tree_root.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    tail = "/" + "/".join(parts)
    if not abs_root.endswith(tail) and parts:
        return None
    head = abs_root[:len(abs_root) - len(tail)] if parts else abs_root
    return head or "/"


# The config method's "effective" names for the keys compared.
EFFECTIVE = {
    "paths.cache_root": "cache_root",
    "paths.tensor_cache_dir": "tensor_cache_dir",
    "paths.generated_cache_dir": "generated_cache_dir",
    "paths.eval_cache_dir": "eval_cache_dir",
    "data.dset_name": "dset_name",
    "trainer.synthetic_pred_cache": "synthetic_pred_cache",
    "trainer.physical_pred_cache": "physical_pred_cache",
}


def config_tree(result: Any) -> Any:
    """What to compare from the config method's result: the values the
    daemon acts on ("effective": absolute paths, the dataset), as a tree
    keyed as the config is. A result without "effective" is taken as
    the resolved tree itself."""
    if not isinstance(result, dict) or not isinstance(
            result.get("effective"), dict):
        return result
    eff = result["effective"]
    tree: dict = {}
    for key, name in EFFECTIVE.items():
        if name in eff:
            section, leaf = key.split(".")
            tree.setdefault(section, {})[leaf] = eff[name]
    return tree


def _hint(value: Any) -> str:
    if isinstance(value, str) and "${" in value:
        return (" (not resolved: pass the OmegaConf DictConfig, or "
                "OmegaConf.to_container(cfg, resolve=True))")
    return ""


def compare(trainer: Any, tree: Optional[Any], disk_path: Optional[str],
            cwd: str) -> Tuple[List[Tuple[str, str, str]], List[str]]:
    """(differences, unchecked): each difference is (key, trainer's
    value, daemon's value), both as compared (paths absolute);
    unchecked names keys that could not be compared. ``tree`` is the
    daemon's config (None: an older daemon without the method, and then
    only cache_root is compared, against ``disk_path``)."""
    diffs: List[Tuple[str, str, str]] = []
    unchecked: List[str] = []
    t_root = lookup(trainer, CACHE_ROOT)
    if tree is None:
        if t_root is not None and disk_path is not None:
            mine = absolute(str(t_root), cwd)
            if not same_path(mine, disk_path):
                diffs.append((CACHE_ROOT, mine + _hint(t_root), disk_path))
        return diffs, [k for k, _ in KEYS]
    dcwd = daemon_cwd(lookup(tree, CACHE_ROOT), disk_path)
    keys = list(KEYS)
    if t_root is not None:
        keys.append((CACHE_ROOT, True))
    for key, is_path in keys:
        theirs = lookup(tree, key)
        mine = lookup(trainer, key)
        if theirs is None or mine is None:
            unchecked.append(key)
            continue
        if not is_path:
            if str(mine) != str(theirs):
                diffs.append((key, str(mine) + _hint(mine), str(theirs)))
            continue
        theirs = str(theirs)
        if not theirs.startswith("/"):
            if dcwd is None:
                unchecked.append(key)
                continue
            theirs = absolute(theirs, dcwd)
        else:
            theirs = absolute(theirs, "/")
        m = absolute(str(mine), cwd)
        if not same_path(m, theirs):
            diffs.append((key, m + _hint(mine), theirs))
    return diffs, unchecked
