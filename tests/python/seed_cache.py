"""seed_cache.py: the seed's CacheManager, verbatim from
../shared/seed/cache-organization.md ("Cache Management Utilities"), as
the reference hyco.CacheManager is compared with call by call. Only
the imports and the logger's name are added here."""
import logging
from pathlib import Path
from typing import Any, Dict

logger = logging.getLogger("seed")


class CacheManager:
    """
    Centralized cache management for the hybrid training system.
    
    Handles:
    - Cache directory creation
    - Automatic cleanup of temporary caches
    - Disk space monitoring
    - Cache invalidation
    """
    
    def __init__(self, config: Dict[str, Any]):
        self.config = config
        
        # Extract all cache paths
        self.tensor_cache_root = Path(config["paths"]["tensor_cache_dir"])
        self.generated_cache_root = Path(config["paths"]["generated_cache_dir"])
        self.eval_cache_root = Path(config["paths"]["eval_cache_dir"])
        
        # Dataset-specific paths
        self.dataset_name = config["data"]["dset_name"]
        self.dataset_tensor_cache = self.tensor_cache_root / self.dataset_name
        
        # Hybrid training paths
        self.synthetic_pred_cache = Path(config["trainer"]["synthetic_pred_cache"])
        self.physical_pred_cache = Path(config["trainer"]["physical_pred_cache"])
        
        # Create directories
        self._create_directories()
    
    def _create_directories(self):
        """Create all necessary cache directories."""
        for path in [
            self.tensor_cache_root,
            self.generated_cache_root,
            self.eval_cache_root,
            self.dataset_tensor_cache,
            self.synthetic_pred_cache,
            self.physical_pred_cache,
        ]:
            path.mkdir(parents=True, exist_ok=True)
    
    def get_synthetic_pred_cache_dir(self, cycle: int) -> Path:
        """
        Get cache directory for synthetic predictions in a specific cycle.
        
        Args:
            cycle: Hybrid training cycle number
            
        Returns:
            Path to cache directory for this cycle
        """
        cache_dir = self.synthetic_pred_cache / f"cycle_{cycle:03d}" / self.dataset_name
        cache_dir.mkdir(parents=True, exist_ok=True)
        return cache_dir
    
    def get_physical_pred_cache_dir(self, cycle: int) -> Path:
        """
        Get cache directory for physical predictions in a specific cycle.
        
        Args:
            cycle: Hybrid training cycle number
            
        Returns:
            Path to cache directory for this cycle
        """
        cache_dir = self.physical_pred_cache / f"cycle_{cycle:03d}" / self.dataset_name
        cache_dir.mkdir(parents=True, exist_ok=True)
        return cache_dir
    
    def cleanup_cycle_cache(self, cycle: int):
        """
        Clean up generated prediction cache for a specific cycle.
        
        Args:
            cycle: Cycle number to clean up
        """
        import shutil
        
        # Clean synthetic predictions
        synthetic_cycle_dir = self.synthetic_pred_cache / f"cycle_{cycle:03d}"
        if synthetic_cycle_dir.exists():
            shutil.rmtree(synthetic_cycle_dir)
            logger.info(f"Cleaned up synthetic prediction cache for cycle {cycle}")
        
        # Clean physical predictions
        physical_cycle_dir = self.physical_pred_cache / f"cycle_{cycle:03d}"
        if physical_cycle_dir.exists():
            shutil.rmtree(physical_cycle_dir)
            logger.info(f"Cleaned up physical prediction cache for cycle {cycle}")
    
    def cleanup_all_generated_cache(self):
        """Clean up ALL generated prediction caches."""
        import shutil
        
        if self.synthetic_pred_cache.exists():
            shutil.rmtree(self.synthetic_pred_cache)
            self.synthetic_pred_cache.mkdir(parents=True, exist_ok=True)
            logger.info("Cleaned up all synthetic prediction cache")
        
        if self.physical_pred_cache.exists():
            shutil.rmtree(self.physical_pred_cache)
            self.physical_pred_cache.mkdir(parents=True, exist_ok=True)
            logger.info("Cleaned up all physical prediction cache")
    
    def get_cache_size(self, cache_type: str = "all") -> float:
        """
        Get total size of cache in GB.
        
        Args:
            cache_type: One of "tensors", "generated", "eval", or "all"
            
        Returns:
            Size in GB
        """
        def get_dir_size(path: Path) -> int:
            """Recursively get directory size in bytes."""
            total = 0
            if path.exists():
                for item in path.rglob("*"):
                    if item.is_file():
                        total += item.stat().st_size
            return total
        
        if cache_type == "tensors":
            size_bytes = get_dir_size(self.tensor_cache_root)
        elif cache_type == "generated":
            size_bytes = get_dir_size(self.generated_cache_root)
        elif cache_type == "eval":
            size_bytes = get_dir_size(self.eval_cache_root)
        elif cache_type == "all":
            size_bytes = (
                get_dir_size(self.tensor_cache_root) +
                get_dir_size(self.generated_cache_root) +
                get_dir_size(self.eval_cache_root)
            )
        else:
            raise ValueError(f"Unknown cache_type: {cache_type}")
        
        return size_bytes / 1e9  # Convert to GB
    
    def check_disk_space(self, required_gb: float) -> bool:
        """
        Check if sufficient disk space is available.
        
        Args:
            required_gb: Required space in GB
            
        Returns:
            True if sufficient space available
        """
        import shutil
        
        stat = shutil.disk_usage(self.tensor_cache_root)
        available_gb = stat.free / 1e9
        
        if available_gb < required_gb:
            logger.warning(
                f"Insufficient disk space: {available_gb:.2f} GB available, "
                f"{required_gb:.2f} GB required"
            )
            return False
        
        return True
    
    def print_cache_summary(self):
        """Print summary of cache usage."""
        logger.info("\n" + "="*60)
        logger.info("CACHE USAGE SUMMARY")
        logger.info("="*60)
        logger.info(f"Tensor cache:    {self.get_cache_size('tensors'):.2f} GB")
        logger.info(f"Generated cache: {self.get_cache_size('generated'):.2f} GB")
        logger.info(f"Eval cache:      {self.get_cache_size('eval'):.2f} GB")
        logger.info(f"Total cache:     {self.get_cache_size('all'):.2f} GB")
        logger.info("="*60 + "\n")
