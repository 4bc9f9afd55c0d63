#!/usr/bin/python3
"""readback.py: hycod --print-config read back by OmegaConf and PyYAML.

For each golden case that OmegaConf can build by itself (a merge of
files, no Hydra composition), every value OmegaConf resolves must read
back from the checked-in .ok file with the same value and type through
OmegaConf's YAML loader, and through PyYAML's safe_load with the type
PyYAML gives the input (a plain date is a date to PyYAML, a string to
OmegaConf). Run by config_golden.sh with /usr/bin/python3.
"""
import math
import sys

import yaml
from omegaconf import OmegaConf
from omegaconf._utils import get_yaml_loader

# golden case: the files OmegaConf merges for it, in order
CASES = {
    "seed": ["conf/config.yaml"],
    "layered": ["conf/config.yaml", "tests/config/layer.yaml"],
    "quoting": ["conf/config.yaml", "tests/config/quoting.yaml"],
}


def leaves(x, path=()):
    if isinstance(x, dict):
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


def merge(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = merge(a[k], v) if k in a else v
        return out
    return b


def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def check(name, files):
    text = open("tests/config/%s.ok" % name).read()
    text, status = text.rsplit("exit ", 1)
    if status.strip() != "0":
        return ["%s: hycod failed" % name]
    want = OmegaConf.to_container(
        OmegaConf.merge(*[OmegaConf.load(f) for f in files]), resolve=True)
    raw = {}
    for f in files:
        raw = merge(raw, yaml.safe_load(open(f)))
    got_oc = yaml.load(text, Loader=get_yaml_loader())
    got_py = yaml.safe_load(text)
    errors, n = [], 0
    for path, w in leaves(want):
        key = ".".join(map(str, path))
        n += 1
        g = at(got_oc, path)
        if not same(g, w):
            errors.append("%s: %s: OmegaConf reads %r, resolves %r"
                          % (name, key, g, w))
        r = at(raw, path)
        expect = r if r is not KeyError and not (
            isinstance(r, str) and "${" in r) else w
        g = at(got_py, path)
        if not same(g, expect):
            errors.append("%s: %s: PyYAML reads %r, want %r"
                          % (name, key, g, expect))
    print("readback %s: %d values" % (name, n))
    return errors


def main():
    errors = []
    for name, files in CASES.items():
        errors += check(name, files)
    for e in errors:
        print("FAIL " + e)
    print("readback: %d cases, %d errors" % (len(CASES), len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
