"""The seed's own CacheManager behaviour, for CacheManager(config,
fallback="local") on a machine without hycod: the same code as
../shared/seed/cache-organization.md, walking and removing the tree in
the trainer's process (no leases, no accounting, no trash)."""
import logging
import shutil
from pathlib import Path

__all__ = ["LocalCache"]


class LocalCache:
    """The seed's methods over the paths of a CacheManager ``m``; its
    log lines go to the CacheManager's logger."""

    def __init__(self, m, logger: logging.Logger) -> None:
        self.m = m
        self.log = logger

    def paths(self) -> list:
        """The directories the seed creates, in its order."""
        m = self.m
        return [m.tensor_cache_root, m.generated_cache_root,
                m.eval_cache_root, m.dataset_tensor_cache,
                m.synthetic_pred_cache, m.physical_pred_cache]

    def create_directories(self) -> None:
        for path in self.paths():
            path.mkdir(parents=True, exist_ok=True)

    def cycle_dir(self, root: Path, cycle: int) -> Path:
        cache_dir = root / f"cycle_{cycle:03d}" / self.m.dataset_name
        cache_dir.mkdir(parents=True, exist_ok=True)
        return cache_dir

    def cleanup_cycle_cache(self, cycle: int) -> None:
        m = self.m
        synthetic_cycle_dir = m.synthetic_pred_cache / f"cycle_{cycle:03d}"
        if synthetic_cycle_dir.exists():
            shutil.rmtree(synthetic_cycle_dir)
            self.log.info(
                f"Cleaned up synthetic prediction cache for cycle {cycle}")
        physical_cycle_dir = m.physical_pred_cache / f"cycle_{cycle:03d}"
        if physical_cycle_dir.exists():
            shutil.rmtree(physical_cycle_dir)
            self.log.info(
                f"Cleaned up physical prediction cache for cycle {cycle}")

    def cleanup_all_generated_cache(self) -> None:
        m = self.m
        if m.synthetic_pred_cache.exists():
            shutil.rmtree(m.synthetic_pred_cache)
            m.synthetic_pred_cache.mkdir(parents=True, exist_ok=True)
            self.log.info("Cleaned up all synthetic prediction cache")
        if m.physical_pred_cache.exists():
            shutil.rmtree(m.physical_pred_cache)
            m.physical_pred_cache.mkdir(parents=True, exist_ok=True)
            self.log.info("Cleaned up all physical prediction cache")

    @staticmethod
    def dir_size(path: Path) -> int:
        """The seed's get_dir_size: rglob and stat."""
        total = 0
        if path.exists():
            for item in path.rglob("*"):
                if item.is_file():
                    total += item.stat().st_size
        return total

    def sizes(self) -> dict:
        """Bytes per category, as summary() names them."""
        m = self.m
        t = self.dir_size(m.tensor_cache_root)
        g = self.dir_size(m.generated_cache_root)
        e = self.dir_size(m.eval_cache_root)
        return {"tensors": t, "generated": g, "eval": e, "total": t + g + e}

    def available_bytes(self) -> int:
        return shutil.disk_usage(self.m.tensor_cache_root).free
