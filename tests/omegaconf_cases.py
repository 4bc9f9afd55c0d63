#!/usr/bin/python3
"""omegaconf_cases.py: hand-written edge cases, hycod against OmegaConf.

The random configs of omegaconf_diff.py cover the forms its generator
knows; these are the corners it does not write: quoted and escaped
resolver arguments, nested resolvers, oc.select through values and
lists, oc.decode of each element kind, typed dict keys, keys with dots
in brackets or from nested interpolations, blank and empty arguments,
non-ASCII text, tags and merge keys. Each config is resolved by
OmegaConf.to_container(OmegaConf.load(file), resolve=True) (Debian 12's
python3-omegaconf 2.2.2) and by hycod --print-config read back with
OmegaConf's loader; the two must give the same keys, values and types,
or both refuse the config.

  /usr/bin/python3 tests/omegaconf_cases.py [--hycod PATH]
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile
import warnings
from datetime import datetime

import yaml
from omegaconf import OmegaConf
from omegaconf._utils import get_yaml_loader

LOADER = get_yaml_loader()
ENV = {"HYCO_C_XV": "hello", "HYCO_C_YV": "HYCO_C_XV"}
UNSET = "HYCO_C_NOPE"

CASES = [
    # Quoted, escaped and nested resolver arguments.
    r"""a: "${oc.env:HYCO_C_NOPE,'a\'b'}" """,
    r"""a: '${oc.env:HYCO_C_NOPE,"a\"b"}'""",
    r"""a: "${oc.env:HYCO_C_NOPE,\\}" """,
    r"""a: '${oc.env:HYCO_C_NOPE,a\ b}'""",
    r"""a: ${oc.env:${oc.env:HYCO_C_YV}}""",
    r"""a: ${oc.env:HYCO_C_NOPE,${oc.env:HYCO_C_XV}}""",
    r"""a: "${oc.env:HYCO_C_NOPE,'${oc.env:HYCO_C_XV}'}" """,
    r"""a: "${oc.env:HYCO_C_NOPE,'\\${x}'}" """,
    r"""a: '${ oc.env : HYCO_C_XV }'""",
    r"""a: '${oc.env:HYCO_C_NOPE, }'""",
    r"""a: '${oc.env:HYCO_C_XV}${oc.env:HYCO_C_XV}'""",
    # Defaults typed by the grammar, then str()'d.
    r"""a: '${oc.env:HYCO_C_NOPE,[a, [b, c], {d: e}]}'""",
    r"""a: '${oc.env:HYCO_C_NOPE,-inf}'""",
    r"""a: '${oc.env:HYCO_C_NOPE,1e-05}'""",
    r"""a: '${oc.env:HYCO_C_NOPE,+1_0}'""",
    r"""a: '${oc.env:HYCO_C_NOPE,TrUe}'""",
    r"""a: '${oc.env:HYCO_C_NOPE,NULL}x'""",
    r"""x: 1
a: '${oc.env:HYCO_C_NOPE,${x}}'""",
    "a: '\u00e9${oc.env:HYCO_C_NOPE,x}'",
    "a: '${oc.env:HYCO_C_NOPE,\u00e9}'",
    # oc.select: values, maps, defaults through values and lists.
    r"""m: {x: 1, y: '${..n}'}
n: 5
a: ${oc.select:m}""",
    r"""a: ${oc.select:zz.y.x,dflt}""",
    r"""s: 5
a: ${oc.select:s.x,dflt}""",
    r"""l: [1]
a: ${oc.select:l.x,dflt}""",
    r"""m: ???
a: ${oc.select:m,d}""",
    # oc.decode of each element kind.
    r"""a: '${oc.decode:"[1, \"x\", {k: v}]"}'""",
    r"""a: '${oc.decode:"{1: a, 1.5: b, null: c, true: d}"}'""",
    r"""a: 'x${oc.decode:"[1, 2.5, null, true, ''s'']"}'""",
    r"""a: '${oc.decode:"  5 "}'""",
    r"""a: '${oc.decode:" "}'""",
    r"""a: '${oc.decode:""}'""",
    r"""a: '${oc.decode:${oc.env:HYCO_C_NOPE,"1:2"}}'""",
    r"""a: ${oc.decode:5}""",
    # Keys: brackets, dots inside brackets, nested, relative, empty.
    r"""m: {a: 7}
n: {b: '${..[m].a}'}""",
    r"""m: {a: 3}
a: '${[m].a}'""",
    r"""m: {'a.b': 1}
a: '${m[a.b]}'""",
    r"""m: {a: {b: 2}}
k: 'a.b'
a: '${m.${k}}'""",
    r"""l: [10, 20]
k: ' 1'
a: '${l.${k}}'""",
    r"""a: '${.}'""",
    r"""k: ''
a: '${${k}}'""",
    r"""m: {1: a, '1': b}
a: '${m.1}'""",
    # Literal braces, dollars, quotes and escapes around interpolations.
    r"""a: '\${x'""",
    r"""a: '${x}}'
x: 1""",
    r"""a: '}${x}{'
x: 1""",
    r"""a: "'${x}'"
x: 1""",
    r"""a: 'a\\\\${x}b'
x: 1""",
    # Loader: tags, merge keys, keys.
    r"""a: !!float '1'
b: !!int '0o17'
c: !!bool 'True'
d: !!str 5""",
    r"""x: &A {b: 1}
y: &B {b: 2, c: 3}
m: {<<: [*A, *B], d: 4}""",
    r"""1: a
1.0: b
'1': c
true: d""",
    r"""a: [1, {2: x, 2.5: y, false: z}]""",
    # Maps and lists named whole, and str() of them.
    r"""m: {a: '${..b}', l: [1, '${..b}']}
b: 2
c: ${m}
d: 'x${m}'""",
]


def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return [(type(k), k) for k in a] == [(type(k), k) for k in b] and \
            all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


def omegaconf(path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return OmegaConf.to_container(OmegaConf.load(path),
                                          resolve=True), None
    except Exception as e:   # noqa: BLE001 - any exception is a refusal
        return None, "%s: %s" % (type(e).__name__, str(e).splitlines()[0])


def hycod(exe, path, keys):
    p = subprocess.run([exe, "-c", path, "--print-config"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=20)
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode != 0:
        return None, err.strip().splitlines()[0] if err.strip() else \
            "exit %d" % p.returncode
    out = yaml.load(p.stdout.decode(), Loader=LOADER)
    # Only the keys of the case: hycod adds its built-in defaults.
    return {k: v for k, v in out.items() if (type(k), k) in keys}, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hycod", default=os.environ.get("HYCOD", "bin/hycod"))
    args = ap.parse_args()
    exe = os.path.abspath(args.hycod)
    OmegaConf.register_new_resolver(
        "now", lambda pattern: datetime.now().strftime(pattern),
        use_cache=True, replace=True)
    os.environ.update(ENV)
    os.environ.pop(UNSET, None)
    bad = 0
    with tempfile.TemporaryDirectory() as d:
        for i, text in enumerate(CASES):
            path = os.path.join(d, "c%02d.yaml" % i)
            with open(path, "w") as f:
                f.write(text + "\n")
            raw = yaml.load(text, Loader=LOADER) \
                if omegaconf(path)[1] is None else {}
            want, werr = omegaconf(path)
            got, gerr = hycod(exe, path, [(type(k), k) for k in raw])
            if werr is not None and gerr is not None:
                continue
            if werr is None and gerr is None and same(want, got):
                continue
            bad += 1
            print("FAIL case %d:\n%s\n  OmegaConf: %s\n  hycod:     %s" % (
                i, text, werr or repr(want), gerr or repr(got)))
    print("omegaconf_cases: %d cases, %d agree, %d disagree" % (
        len(CASES), len(CASES) - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
