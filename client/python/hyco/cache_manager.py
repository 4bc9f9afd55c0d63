"""hyco.CacheManager: the seed's CacheManager (see
../shared/seed/cache-organization.md), its work done by hycod.

Same constructor argument, attributes, methods, return values, log
lines and exceptions as the seed; the prediction directories come from
``get-cycle-dir`` (created and leased by the daemon), removals go
through the daemon's trash, sizes come from its index (no walk), free
space from ``disk-check``. At construction the trainer's paths are
compared with the daemon's, and every directory the daemon hands out is
checked against the path the seed would have used, so a trainer never
writes into a tree the daemon does not own.
"""
import contextlib
import logging
import numbers
import operator
import os
from pathlib import Path
from typing import Any, Dict, Iterator, NamedTuple, Optional

from . import agree
from .client import Client
from .errors import ConfigMismatch, Unreachable, UnknownMethod
from .local import LocalCache

__all__ = ["CacheManager", "CycleDirs", "CACHE_TYPES"]

logger = logging.getLogger(__name__)

CACHE_TYPES = ("tensors", "generated", "eval", "all")
FALLBACKS = (None, "local")


class CycleDirs(NamedTuple):
    """The two prediction directories of one cycle."""
    physical: Path
    synthetic: Path


def _cycle_int(cycle: Any) -> int:
    """cycle as the int the wire needs; numpy integers and bools pass
    as the seed's f-string lets them."""
    return int(operator.index(cycle))


class CacheManager:
    """Centralized cache management for the hybrid training system,
    backed by hycod.

    ``config``: the trainer's config (a dict, or an OmegaConf
    DictConfig), read as the seed reads it. ``client``: a hyco.Client
    to share (else one is made from ``socket``, $HYCO_SOCKET or the
    config's ``daemon.socket``, with ``timeout``). ``fallback``: None
    raises hyco.Unreachable when no daemon answers; "local" then does
    what the seed did, in this process, and logs one warning.
    """

    def __init__(self, config: Any, *, client: Optional[Client] = None,
                 socket: Optional[str] = None,
                 timeout: Optional[float] = None,
                 fallback: Optional[str] = None) -> None:
        if fallback not in FALLBACKS:
            raise ValueError("fallback must be None or 'local', not %r" %
                             (fallback,))
        if client is not None and not isinstance(client, Client):
            raise TypeError("client must be a hyco.Client, not %s" %
                            type(client).__name__)
        if client is not None and (socket is not None or
                                   timeout is not None):
            raise ValueError("give either client or socket/timeout")
        self.config = config

        # Extract all cache paths (as the seed does, same exceptions)
        self.tensor_cache_root = Path(config["paths"]["tensor_cache_dir"])
        self.generated_cache_root = Path(
            config["paths"]["generated_cache_dir"])
        self.eval_cache_root = Path(config["paths"]["eval_cache_dir"])

        # Dataset-specific paths
        self.dataset_name = config["data"]["dset_name"]
        self.dataset_tensor_cache = self.tensor_cache_root / self.dataset_name

        # Hybrid training paths
        self.synthetic_pred_cache = Path(config["trainer"]["synthetic_pred_cache"])
        self.physical_pred_cache = Path(config["trainer"]["physical_pred_cache"])

        self._local: Optional[LocalCache] = None
        self._daemon_root = "/"
        self._all_compared = False
        own = client is None
        self._client: Optional[Client] = client or Client(
            socket=socket, config=config, timeout=timeout)
        try:
            self._check_agreement()
        except Unreachable as e:
            if fallback != "local":
                raise
            logger.warning(
                "hycod is unreachable at %s (%s): "
                "CacheManager(fallback='local') manages the cache in this "
                "process as the seed did (no leases, no retention, sizes by "
                "walking the tree)", e.socket_path, e.reason)
            self._client = None
            self._local = LocalCache(self, logger)
        except BaseException:
            if own:
                self._client.close()    # not left open until collected
            raise
        self._create_directories()

    def __repr__(self) -> str:
        where = ("local" if self._client is None else
                 "hycod at " + self._client.socket_path)
        return "hyco.CacheManager(dataset=%r, %s)" % (self.dataset_name,
                                                      where)

    @property
    def client(self) -> Optional[Client]:
        """The client this manager talks through (None when local)."""
        return self._client

    @property
    def local(self) -> bool:
        """True when the daemon was unreachable and fallback="local"."""
        return self._client is None

    # ---- construction ------------------------------------------------
    def _check_agreement(self) -> None:
        """Raise ConfigMismatch unless the daemon's paths and dataset
        are the trainer's."""
        c = self._client
        try:
            tree = agree.config_tree(c.config())
        except UnknownMethod:
            tree = None     # an older daemon: only cache_root is known
        root = c.disk_check(required_bytes=0)["path"]
        diffs, unchecked = agree.compare(self.config, tree, root,
                                         os.getcwd())
        self._daemon_root = root
        self._all_compared = tree is not None and not unchecked
        if unchecked:
            logger.debug("CacheManager: not compared with hycod's config "
                          "(%s): %s", "no config method" if tree is None
                          else "relative there", ", ".join(unchecked))
        if diffs:
            lines = ["  %s: trainer %s, hycod %s" % d for d in diffs]
            raise ConfigMismatch(
                "the trainer's config and hycod's (socket %s) name "
                "different places, so the trainer would write where the "
                "daemon does not look:\n%s\nStart hycod with the trainer's "
                "config (hycod -c <config.yaml> [KEY=VALUE...]), or run the "
                "trainer with the daemon's." % (c.socket_path,
                                                 "\n".join(lines)), diffs)

    def _create_directories(self) -> None:
        """Create all necessary cache directories, as the seed does.
        hycod made its own at start; this makes again any removed since
        (and the tensor directory of a dataset that is not the daemon's
        default). A path that could not be compared with the daemon's
        (an older daemon: only cache_root is known) is created only
        inside the daemon's cache root, never elsewhere."""
        local = LocalCache(self, logger)
        if self._client is None or self._all_compared:
            return local.create_directories()
        cwd = os.getcwd()
        root = self._daemon_root.rstrip("/") + "/"
        for path in local.paths():
            if (agree.absolute(str(path), cwd) + "/").startswith(root):
                path.mkdir(parents=True, exist_ok=True)

    # ---- the seed's methods --------------------------------------------
    def get_synthetic_pred_cache_dir(self, cycle: int) -> Path:
        """Cache directory for synthetic predictions of a cycle, made
        and leased by hycod (this client's connection leases it until
        it asks for another cycle of synthetic predictions)."""
        return self._cycle_dir("synthetic", self.synthetic_pred_cache,
                               cycle, self._client)

    def get_physical_pred_cache_dir(self, cycle: int) -> Path:
        """Cache directory for physical predictions of a cycle, made and
        leased by hycod, as get_synthetic_pred_cache_dir."""
        return self._cycle_dir("physical", self.physical_pred_cache, cycle,
                               self._client)

    def _cycle_dir(self, kind: str, root: Path, cycle: Any,
                   client: Optional[Client]) -> Path:
        mine = root / f"cycle_{cycle:03d}" / self.dataset_name
        if client is None:
            return self._local.cycle_dir(root, cycle)
        r = client.get_cycle_dir(kind, _cycle_int(cycle),
                                 dataset=str(self.dataset_name))
        expect = agree.absolute(str(mine), os.getcwd())
        if not agree.same_path(expect, r["path"]):
            raise ConfigMismatch(
                "hycod (socket %s) made %s for %s predictions of cycle %s, "
                "the trainer's config names %s: start hycod with the "
                "trainer's config" % (client.socket_path, r["path"], kind,
                                      cycle, expect),
                [("trainer.%s_pred_cache" % kind, expect, r["path"])])
        return mine

    def cleanup_cycle_cache(self, cycle: int, *, wait: bool = False) -> None:
        """Remove the prediction caches of a cycle (both kinds, every
        dataset). The daemon renames them into its trash before
        answering and deletes them in the background (wait=True: before
        answering)."""
        name = f"cycle_{cycle:03d}"
        if self._client is None:
            return self._local.cleanup_cycle_cache(cycle)
        r = self._client.cleanup_cycle(_cycle_int(cycle), kind="all",
                                       wait=wait)
        removed = r["removed"]
        if self._was_removed(removed, self.synthetic_pred_cache, name):
            logger.info(f"Cleaned up synthetic prediction cache for cycle {cycle}")
        if self._was_removed(removed, self.physical_pred_cache, name):
            logger.info(f"Cleaned up physical prediction cache for cycle {cycle}")

    @staticmethod
    def _was_removed(removed: list, root: Path, name: str) -> bool:
        cwd = os.getcwd()
        want = agree.absolute(str(root / name), cwd)
        parent = agree.absolute(str(root), cwd)
        return any(p == want or (os.path.basename(p) == name and
                                 agree.same_path(os.path.dirname(p), parent))
                   for p in removed)

    def cleanup_all_generated_cache(self, *, wait: bool = False) -> None:
        """Clean up ALL generated prediction caches (the roots stay)."""
        if self._client is None:
            return self._local.cleanup_all_generated_cache()
        # The seed logs for the roots that existed before.
        synthetic = self.synthetic_pred_cache.exists()
        physical = self.physical_pred_cache.exists()
        self._client.cleanup_generated(wait=wait)
        if synthetic:
            logger.info("Cleaned up all synthetic prediction cache")
        if physical:
            logger.info("Cleaned up all physical prediction cache")

    def get_cache_size(self, cache_type: str = "all") -> float:
        """Total size of cache in GB (1e9 bytes): "tensors",
        "generated", "eval" or "all", read off hycod's index."""
        if cache_type not in CACHE_TYPES:
            raise ValueError(f"Unknown cache_type: {cache_type}")
        if self._client is None:
            return self._local_sizes(cache_type)[cache_type] / 1e9
        return self._sizes(self._client.summary())[cache_type] / 1e9

    @staticmethod
    def _sizes(s: Dict[str, Any]) -> Dict[str, int]:
        return {"tensors": s["tensors"], "generated": s["generated"],
                "eval": s["eval"],
                "all": s["tensors"] + s["generated"] + s["eval"]}

    def _local_sizes(self, cache_type: str) -> Dict[str, int]:
        size = LocalCache.dir_size
        roots = {"tensors": self.tensor_cache_root,
                 "generated": self.generated_cache_root,
                 "eval": self.eval_cache_root}
        if cache_type != "all":
            return {cache_type: size(roots[cache_type])}
        out = {k: size(v) for k, v in roots.items()}
        out["all"] = sum(out.values())
        return out

    def check_disk_space(self, required_gb: float) -> bool:
        """True if required_gb GB (1e9 bytes) are free on the cache's
        filesystem; logs the seed's warning and returns False if not."""
        if isinstance(required_gb, bool) or not isinstance(
                required_gb, numbers.Real):
            raise TypeError("required_gb must be a number, not %s" %
                            type(required_gb).__name__)
        if self._client is None:
            available = self._local.available_bytes()
        else:
            available = self._client.disk_check(
                required_bytes=0)["available_bytes"]
        available_gb = available / 1e9

        if available_gb < required_gb:
            logger.warning(
                f"Insufficient disk space: {available_gb:.2f} GB available, "
                f"{required_gb:.2f} GB required"
            )
            return False

        return True

    def print_cache_summary(self) -> None:
        """Log the summary of cache usage (one request to hycod)."""
        if self._client is None:
            sizes = self._local_sizes("all")
        else:
            sizes = self._sizes(self._client.summary())
        gb = {k: v / 1e9 for k, v in sizes.items()}
        logger.info("\n" + "="*60)
        logger.info("CACHE USAGE SUMMARY")
        logger.info("="*60)
        logger.info(f"Tensor cache:    {gb['tensors']:.2f} GB")
        logger.info(f"Generated cache: {gb['generated']:.2f} GB")
        logger.info(f"Eval cache:      {gb['eval']:.2f} GB")
        logger.info(f"Total cache:     {gb['all']:.2f} GB")
        logger.info("="*60 + "\n")

    # ---- beyond the seed -----------------------------------------------
    def summary(self) -> Dict[str, Any]:
        """hycod's whole summary (PROTOCOL.md). Local: the byte figures
        only, walked, with "exact": True and "local": True."""
        if self._client is not None:
            return self._client.summary()
        s = self._local_sizes("all")
        return {"tensors": s["tensors"], "generated": s["generated"],
                "eval": s["eval"], "total": s["all"], "exact": True,
                "local": True}

    @contextlib.contextmanager
    def cycle(self, cycle: int, *, cleanup: bool = False
              ) -> Iterator[CycleDirs]:
        """``with cache.cycle(n) as dirs:`` the physical and synthetic
        directories of cycle n, leased for as long as the block runs.

        The daemon leases a cycle to the connection that last asked for
        it, one cycle per kind and connection; a client shared by
        threads (or the next get_*_pred_cache_dir call) would move that
        lease. So the block gets a connection of its own that asks for
        cycle n and nothing else, and closes it at the end of the block,
        which ends the lease. cleanup=True removes the cycle when the
        block ends, however it ends (the seed's ``finally``).
        """
        if not isinstance(cleanup, bool):
            raise TypeError("cleanup must be a bool, not %s" %
                            type(cleanup).__name__)
        lease = None
        if self._client is not None:
            lease = Client(socket=self._client.socket_path,
                           timeout=self._client.timeout)
        try:
            dirs = CycleDirs(
                physical=self._cycle_dir("physical", self.physical_pred_cache,
                                         cycle, lease),
                synthetic=self._cycle_dir("synthetic",
                                          self.synthetic_pred_cache, cycle,
                                          lease))
            try:
                yield dirs
            finally:
                if cleanup:
                    self.cleanup_cycle_cache(cycle)
        finally:
            if lease is not None:
                lease.close()
