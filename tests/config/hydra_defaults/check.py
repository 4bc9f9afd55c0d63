#!/usr/bin/python3
"""check.py: hycod's composition against Hydra's own test expectations.

cases.json holds the cases of Hydra 1.3.2's tests/defaults_list/
test_defaults_list.py (extract.py says how): a config of data/, the
command-line overrides, and the configs Hydra composes from them, in
order, each with its package (or the exception Hydra raises). The
config Hydra then builds is made here as config_loader_impl.py makes
it, with OmegaConf: each config's file loaded, its defaults taken out,
put at its package, merged in turn. hycod -c data/CONFIG.yaml
--print-config OVERRIDES must print the same keys and values (its
built-in defaults aside), and refuse what Hydra refuses.

Configs Hydra would take from its ConfigStore (no file here) are left
out of the expectation, as hycod leaves them out. SKIP lists the cases
where hycod differs from Hydra by design, each with the reason.

  /usr/bin/python3 tests/config/hydra_defaults/check.py [--hycod PATH]
"""
import argparse
import json
import os
import subprocess
import sys

import yaml
from omegaconf import OmegaConf
from omegaconf._utils import get_yaml_loader

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
LOADER = get_yaml_loader()

SKIP = {
    "override_hydra": "Hydra's own groups (hydra/...) are skipped by "
                      "hycod, so it cannot see two choices of hydra/help",
    "with_missing:not_ignore_missing": "a group left ??? is a warning to "
                      "hycod (Hydra's skip_missing), not an error",
    "group1/file_with_group_header": "hycod's config folder is the -c "
                      "file's own; Hydra's primary here sits in a group",
    "group1/group2/file_with_group_header": "the same",
}


def expected(case):
    cfg = OmegaConf.create()
    for r in case["expected"]:
        path = os.path.join(DATA, r["config_path"] + ".yaml")
        if r["config_path"].startswith("hydra/") or not os.path.exists(path):
            continue        # Hydra's own, or a ConfigStore entry
        c = OmegaConf.load(path)
        if "defaults" in c:
            c.pop("defaults")
        if r["package"]:
            w = OmegaConf.create()
            OmegaConf.update(w, r["package"], c, merge=False)
            c = w
        cfg.merge_with(c)
    return OmegaConf.to_container(cfg, resolve=False)


def run(hycod, case):
    p = subprocess.run([hycod, "-c", os.path.join(DATA, case["config"] +
                                                  ".yaml"),
                        "--print-config"] + case["overrides"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=20)
    err = p.stderr.decode("utf-8", "replace").strip()
    if p.returncode != 0:
        return None, err
    return yaml.load(p.stdout.decode(), Loader=LOADER), err


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hycod", default=os.environ.get("HYCOD", "bin/hycod"))
    hycod = os.path.abspath(ap.parse_args().hycod)
    builtin, _ = run(hycod, {"config": "empty", "overrides": []})
    with open(os.path.join(HERE, "cases.json")) as f:
        cases = json.load(f)
    n = bad = skipped = 0
    for case in cases:
        key = case["id"] if case["id"] in SKIP else case["config"]
        if case["config"] is None or key in SKIP:
            skipped += 1     # None: Hydra without a primary config
            continue
        n += 1
        got, err = run(hycod, case)
        what = "%s %s %s" % (case["test"], case["id"], case["overrides"])
        if "raises" in case:
            if got is not None:
                bad += 1
                print("FAIL %s: Hydra raises %s (%s), hycod accepts" % (
                    what, case["raises"], case["match"]))
            continue
        if got is None:
            bad += 1
            print("FAIL %s: hycod refuses: %s" % (what, err))
            continue
        want = expected(case)
        for k in list(got):
            if k not in want and k in builtin and got[k] == builtin[k]:
                del got[k]
        if got != want:
            bad += 1
            print("FAIL %s:\n  Hydra: %r\n  hycod: %r" % (what, want, got))
    print("hydra_defaults: %d cases, %d agree, %d disagree, %d skipped" % (
        n, n - bad, bad, skipped))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
