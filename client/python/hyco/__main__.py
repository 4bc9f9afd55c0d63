"""python3 -m hyco: the seed's scripts/inspect_cache.py, through hycod.

    python3 -m hyco --config conf/burgers_experiment.yaml
    python3 -m hyco --cache-type tensors
    python3 -m hyco --clean generated

Without --clean it prints the seed's summary block (or, with
--cache-type other than "all", that cache's line of it). --clean
generated empties the prediction caches; --clean all asks as the seed
did and, as the seed did, keeps the tensor cache; --clean tensors and
--clean eval (or any clean of one --dataset) remove through hycod's
``clean`` after the question hycoctl asks (--yes: do not ask; without
a terminal and without --yes, refuse). Exit 0 done, 1 refused or
failed, 3 daemon unreachable (as hycoctl).
"""
import argparse
import logging
import sys
from typing import List, Optional

from . import locate
from .cache_manager import CACHE_TYPES, CacheManager
from .errors import HycoError, Unreachable

logger = logging.getLogger("hyco.inspect")

LABELS = {"tensors": "Tensor cache:    ", "generated": "Generated cache: ",
          "eval": "Eval cache:      ", "all": "Total cache:     "}
EXIT_OK, EXIT_FAIL, EXIT_UNREACHABLE = 0, 1, 3


def parse(argv: Optional[List[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python3 -m hyco", description="Inspect and manage cache")
    p.add_argument("--config", type=str, help="Path to config file "
                   "(default: $HYCO_CONFIG, conf/config.yaml, "
                   "/etc/hyco/config.yaml)")
    p.add_argument("--cache-type", choices=CACHE_TYPES, default="all",
                   help="Type of cache to inspect")
    p.add_argument("--clean", choices=CACHE_TYPES,
                   help="Clean specified cache type")
    p.add_argument("--dataset", help="--clean: only this dataset")
    p.add_argument("-y", "--yes", action="store_true",
                   help="--clean: do not ask")
    p.add_argument("--socket", help="hycod's socket (default: "
                   "$HYCO_SOCKET, else daemon.socket of the config)")
    return p.parse_args(argv)


def confirm_seed() -> bool:
    """The seed's question for --clean all."""
    try:
        response = input("Are you sure you want to clean ALL caches? "
                         "(yes/no): ")
    except EOFError:
        return False
    return response.lower() == "yes"


def confirm_hycoctl(target: str, dataset: Optional[str]) -> bool:
    """hycoctl clean's question: a yes on a terminal, else nobody to
    ask and nothing removed."""
    if not sys.stdin.isatty():
        print("hyco: clean %s removes cached data; stdin is not a "
              "terminal, so pass --yes to confirm" % target,
              file=sys.stderr)
        return False
    of = " of dataset '%s'" % dataset if dataset else ""
    sys.stderr.write("Remove the %s cache%s? This cannot be undone. [y/N] "
                     % (target, of))
    sys.stderr.flush()
    line = sys.stdin.readline()
    if line not in ("y\n", "yes\n"):
        print("hyco: not confirmed, nothing removed", file=sys.stderr)
        return False
    return True


def clean(cm: CacheManager, args: argparse.Namespace) -> int:
    if args.clean == "generated" and args.dataset is None:
        cm.cleanup_all_generated_cache()
        return EXIT_OK
    if args.clean == "all" and args.dataset is None:
        if args.yes or confirm_seed():
            cm.cleanup_all_generated_cache()
            # Note: We don't clean tensor cache automatically as it's
            # expensive to rebuild (the seed's rule)
            logger.info("Cleaned generated caches. Tensor cache preserved.")
        return EXIT_OK
    if not args.yes and not confirm_hycoctl(args.clean, args.dataset):
        return EXIT_FAIL
    r = cm.client.clean(args.clean, dataset=args.dataset, confirm=True)
    for path in r["removed"]:
        logger.info(f"Removed {path}")
    logger.info(f"Cleaned {args.clean} cache: "
                f"{r['freed_bytes'] / 1e9:.2f} GB freed")
    return EXIT_OK


def main(argv: Optional[List[str]] = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s",
                        stream=sys.stdout)
    try:
        path = args.config
        if path is None:
            path = locate.default_config()
        if path is None:
            print("hyco: no config: pass --config FILE (or set "
                  "$HYCO_CONFIG)", file=sys.stderr)
            return EXIT_FAIL
        config = locate.load_config(path)
        cm = CacheManager(config, socket=args.socket)
        if args.clean:
            return clean(cm, args)
        if args.cache_type == "all":
            cm.print_cache_summary()
        else:
            size = cm.get_cache_size(args.cache_type)
            logger.info(f"{LABELS[args.cache_type]}{size:.2f} GB")
        return EXIT_OK
    except Unreachable as e:
        print("hyco: %s" % e, file=sys.stderr)
        return EXIT_UNREACHABLE
    except HycoError as e:
        print("hyco: %s" % e, file=sys.stderr)
        return EXIT_FAIL
    except (KeyError, TypeError, ValueError) as e:
        print("hyco: config: %s: %r" % (type(e).__name__, e),
              file=sys.stderr)
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
