#!/usr/bin/env python3
"""hybrid_loop.py: the seed's HybridTrainer.train() loop, its models
replaced by stand-ins that write and read real files, against a running
hycod through hyco.CacheManager.

    python3 hybrid_loop.py --config conf/config.yaml --cycles 3 \\
        [--files 20] [--file-bytes 65536] [KEY=VALUE ...]

Per cycle, as the seed: physical predictions written into
get_physical_pred_cache_dir(cycle), the synthetic model "trained" on
them, synthetic predictions written into get_synthetic_pred_cache_dir,
the physical model "trained" on those, and in ``finally`` the cycle's
cache removed and the cache summary logged. KEY=VALUE overrides the
config as Hydra's command line would (paths.cache_root=/tmp/x). Exit 0
when every cycle ran and the generated cache is empty at the end.
"""
import argparse
import logging
import sys
from pathlib import Path

try:
    import hyco
except ImportError:     # run from the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import hyco

logger = logging.getLogger("hybrid_loop")


class StandInModel:
    """Writes predictions as files and "trains" by reading them back."""

    def __init__(self, name: str, files: int, size: int) -> None:
        self.name, self.files, self.size = name, files, size
        self.loss = 1.0

    def predict_into(self, cache_dir: Path, cycle: int) -> int:
        for i in range(self.files):
            data = bytes([(cycle + i) % 256]) * self.size
            (cache_dir / f"gen_{i:06d}.pt").write_bytes(data)
        return self.files

    def train(self, cache_dir: Path) -> dict:
        seen = sum(len(p.read_bytes()) for p in sorted(cache_dir.iterdir()))
        self.loss *= 0.5
        return {"final_loss": self.loss, "bytes_seen": seen}


class HybridTrainer:
    """The seed's train() loop shape, with augmentation_strategy
    "cache"."""

    def __init__(self, config, files: int, size: int) -> None:
        self.cache_manager = hyco.CacheManager(config)
        self.physical = StandInModel("physical", files, size)
        self.synthetic = StandInModel("synthetic", files, size)
        self.augmentation_strategy = "cache"
        self.cache_manager.print_cache_summary()

    def train(self, num_cycles: int) -> dict:
        synthetic_metrics = physical_metrics = None
        for cycle in range(num_cycles):
            logger.info(f"\n{'='*60}")
            logger.info(f"HYBRID CYCLE {cycle + 1}/{num_cycles}")
            logger.info(f"{'='*60}\n")
            try:
                logger.info("Phase 1: Generating physical predictions...")
                physical_cache_dir = \
                    self.cache_manager.get_physical_pred_cache_dir(cycle)
                self.physical.predict_into(physical_cache_dir, cycle)

                logger.info("\nPhase 2: Training synthetic model...")
                synthetic_metrics = self.synthetic.train(physical_cache_dir)

                logger.info("\nPhase 3: Generating synthetic predictions...")
                synthetic_cache_dir = \
                    self.cache_manager.get_synthetic_pred_cache_dir(cycle)
                self.synthetic.predict_into(synthetic_cache_dir, cycle)
                during = self.cache_manager.get_cache_size("generated")

                logger.info("\nPhase 4: Training physical model...")
                physical_metrics = self.physical.train(synthetic_cache_dir)

                logger.info(f"\nCycle {cycle + 1} Complete:")
                logger.info(f"  Synthetic - Loss: {synthetic_metrics['final_loss']:.6f}")
                logger.info(f"  Physical  - Loss: {physical_metrics['final_loss']:.6f}")
                logger.info(f"  Generated cache during the cycle: {during:.6f} GB")
            finally:
                if self.augmentation_strategy == "cache":
                    self.cache_manager.cleanup_cycle_cache(cycle)
                self.cache_manager.print_cache_summary()

        logger.info("\n" + "="*60)
        logger.info("HYBRID TRAINING COMPLETE")
        logger.info("="*60)
        self.cache_manager.print_cache_summary()
        return {
            "num_cycles": num_cycles,
            "final_synthetic_loss": synthetic_metrics["final_loss"],
            "final_physical_loss": physical_metrics["final_loss"],
        }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", default="conf/config.yaml")
    p.add_argument("--cycles", type=int, default=3)
    p.add_argument("--files", type=int, default=20)
    p.add_argument("--file-bytes", type=int, default=65536)
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s",
                        stream=sys.stdout)
    from omegaconf import OmegaConf
    cfg = OmegaConf.merge(OmegaConf.load(args.config),
                          OmegaConf.from_dotlist(args.overrides))
    try:
        trainer = HybridTrainer(cfg, args.files, args.file_bytes)
        result = trainer.train(args.cycles)
        left = trainer.cache_manager.get_cache_size("generated")
    except hyco.HycoError as e:
        print("hybrid_loop: %s" % e, file=sys.stderr)
        return 1
    logger.info(f"result: {result}")
    if left != 0:
        print("hybrid_loop: %.9f GB left in the generated cache" % left,
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
