#!/usr/bin/python3
"""check.py: hycod --print-config on Hydra project layouts.

Each folder here is one case (README.md says what each holds):
conf/config.yaml is the primary config, `args` the hycod arguments a
trainer's command line would give (one a line), expected.yaml the job
config Hydra composes (what `--cfg job` prints, unresolved, with a
comment citing the Hydra source or doc it comes from), `stderr` regular
expressions that lines of hycod's stderr must match (warnings naming
file:line), `absent` keys Hydra takes from ConfigStore dataclasses,
which hycod cannot know and must not print.

expected.yaml is resolved here as a trainer's OmegaConf resolves it,
with Hydra's `now` resolver registered as Hydra registers it; a value
that needs Hydra's runtime (${hydra:...}, directly or through another
key) must come out of hycod as its own unresolved text. Keys hycod adds
from its built-in defaults (those it prints for an empty config) may
be extra; the `hydra` key is ignored (Hydra deletes it from the job
config; hycod may keep it). Key order is not compared.

  /usr/bin/python3 tests/config/hydra/check.py [--hycod PATH] [CASE]...
"""
import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
from datetime import datetime

import yaml
from omegaconf import OmegaConf
from omegaconf._utils import get_yaml_loader

HERE = os.path.dirname(os.path.abspath(__file__))
LOADER = get_yaml_loader()


def hydra_runtime(path):
    raise ValueError("HydraConfig was not set")   # as outside a Hydra app


def register():
    # hydra v1.3.2 hydra/core/utils.py setup_globals(), verbatim.
    OmegaConf.register_new_resolver(
        "now", lambda pattern: datetime.now().strftime(pattern),
        use_cache=True, replace=True)
    OmegaConf.register_new_resolver("hydra", hydra_runtime, replace=True)


def leaves(x, path=()):
    if isinstance(x, dict) and x:
        for k, v in x.items():
            yield from leaves(v, path + (k,))
    elif isinstance(x, list) and x:
        for i, v in enumerate(x):
            yield from leaves(v, path + (i,))
    else:
        yield path, x


def at(x, path):
    for p in path:
        if isinstance(x, dict) and p in x:
            x = x[p]
        elif isinstance(x, list) and isinstance(p, int) and p < len(x):
            x = x[p]
        else:
            return KeyError
    return x


def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def expected_leaves(path):
    """{key path: value} of expected.yaml as a trainer resolves it; a
    value that needs Hydra's runtime is its unresolved text."""
    cfg = OmegaConf.load(path)
    raw = OmegaConf.to_container(cfg, resolve=False)
    out = {}
    for p, v in leaves(raw):
        if isinstance(v, str) and "${" in v:
            try:
                v = OmegaConf.select(cfg, ".".join(map(str, p)),
                                     throw_on_resolution_failure=True)
            except Exception:   # noqa: BLE001 - needs Hydra's runtime
                pass
            if OmegaConf.is_config(v):
                v = OmegaConf.to_container(v, resolve=True)
        out[p] = v
    return out


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [ln.rstrip("\n") for ln in f
                if ln.strip() and not ln.startswith("#")]


def run(hycod, case, conf, args):
    p = subprocess.run([hycod, "-c", conf, "--print-config"] + args,
                       cwd=case, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30,
                       env={k: v for k, v in os.environ.items()
                            if k != "HYCO_CONFIG"})
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def builtin_leaves(hycod):
    """Key paths hycod prints for a config of its own defaults only."""
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "empty.yaml")
        with open(conf, "w") as f:
            f.write("{}\n")
        rc, out, err = run(hycod, d, conf, [])
    if rc != 0:
        sys.exit("check.py: hycod on an empty config: exit %d: %s"
                 % (rc, err.strip()))
    return set(p for p, _ in leaves(yaml.load(out, Loader=LOADER)))


def check(hycod, name, builtin):
    case = os.path.join(HERE, name)
    conf = os.path.join("conf", "config.yaml")
    args = read_lines(os.path.join(case, "args"))
    want_before = expected_leaves(os.path.join(case, "expected.yaml"))
    rc, out, err = run(hycod, case, conf, args)
    want_after = expected_leaves(os.path.join(case, "expected.yaml"))
    problems = []
    if rc != 0:
        return ["exit %d: %s" % (rc, err.strip())]
    for rx in read_lines(os.path.join(case, "stderr")):
        if not any(re.search(rx, ln) for ln in err.splitlines()):
            problems.append("no stderr line matches /%s/" % rx)
    try:
        got = yaml.load(out, Loader=LOADER)
    except yaml.YAMLError as e:
        return ["output unreadable: %s" % e]
    if not isinstance(got, dict):
        return ["output is not a mapping"]
    got.pop("hydra", None)
    absent = [tuple(ln.strip().split(".")) for ln in
              read_lines(os.path.join(case, "absent"))]
    for p in absent:
        if at(got, p) is not KeyError:
            problems.append("%s: printed, but only Hydra's ConfigStore "
                            "has it" % ".".join(p))
    for p, w in want_before.items():
        if p in absent:
            continue
        g = at(got, p)
        key = ".".join(map(str, p))
        if g is KeyError:
            problems.append("%s: missing, want %r" % (key, w))
        elif not same(g, w) and not same(g, want_after[p]):
            problems.append("%s: got %r (%s), want %r (%s)" % (
                key, g, type(g).__name__, w, type(w).__name__))
    want_keys = set(want_before)
    for p, g in leaves(got):
        if p not in want_keys and p not in builtin and \
                not any(p[:len(q)] == q for q in want_keys):
            problems.append("%s: %r printed, but Hydra composes no such "
                            "key" % (".".join(map(str, p)), g))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hycod", default=os.environ.get("HYCOD", "bin/hycod"))
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    hycod = os.path.abspath(a.hycod)
    register()
    names = a.cases or sorted(
        d for d in os.listdir(HERE)
        if os.path.isfile(os.path.join(HERE, d, "expected.yaml")))
    builtin = builtin_leaves(hycod)
    failed = 0
    for name in names:
        problems = check(hycod, name, builtin)
        if problems:
            failed += 1
            print("FAIL %s" % name)
            for pr in problems:
                print("  " + pr)
        else:
            print("ok %s" % name)
    print("hydra: %d passed, %d failed" % (len(names) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
