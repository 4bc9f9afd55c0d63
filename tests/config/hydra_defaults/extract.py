#!/usr/bin/python3
"""extract.py: Hydra's own defaults-list test cases, as data.

Runs Hydra 1.3.2's tests/defaults_list/test_defaults_list.py with
stand-ins for pytest and hydra (nothing of Hydra runs: only the
parametrize lists are evaluated) and prints every case whose test
names config_name, overrides and expected: the config, the command-
line overrides, and either the list of configs Hydra composes
(config_path and package of each ResultDefault, in order) or the
exception it raises. cases.json was made by

  git -C hydra checkout v1.3.2   # github:facebookresearch/hydra
  cd hydra && /usr/bin/python3 .../extract.py > .../cases.json

and data/ is that checkout's tests/defaults_list/data (MIT, see
LICENSE.hydra).
"""
import json
import re
import sys
import types

def mod(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m

REG = {}
class Param:
    def __init__(self, *values, id=None, marks=None):
        self.values, self.id = values, id
def param(*values, id=None, marks=None): return Param(*values, id=id)
class Mark:
    def parametrize(self, names, values, **kw):
        def deco(fn):
            REG.setdefault(fn, []).append((names, values))
            return fn
        return deco
    def __getattr__(self, n):
        return lambda *a, **k: (lambda fn: fn)
class Raises:
    def __init__(self, exc, match=None): self.exc, self.match = exc.__name__, match
class Warns(Raises):
    def __enter__(self): return self
    def __exit__(self, *a): return False
mod("pytest", mark=Mark(), param=param, raises=Raises, warns=Warns, fixture=lambda *a, **k: (lambda f: f))
class Rec:
    def __init__(self, **kw): self.kw = kw
class ResultDefault(Rec): pass
class ConfigDefault(Rec): pass
class GroupDefault(Rec): pass
class InputDefault(Rec): pass
class ConfigCompositionException(Exception): pass
class MissingConfigException(Exception): pass
hydra = mod("hydra", MissingConfigException=MissingConfigException, version=None)
ver = mod("hydra.version", base_at_least=lambda v: True, setbase=lambda v: None, getbase=lambda: None)
hydra.version = ver
mod("hydra._internal"); mod("hydra._internal.defaults_list", create_defaults_list=None)
mod("hydra.core"); mod("hydra.core.default_element", ConfigDefault=ConfigDefault, GroupDefault=GroupDefault, InputDefault=InputDefault, ResultDefault=ResultDefault)
mod("hydra.core.override_parser"); mod("hydra.core.override_parser.overrides_parser", OverridesParser=None)
mod("hydra.core.plugins", Plugins=types.SimpleNamespace(instance=lambda: None))
mod("hydra.errors", ConfigCompositionException=ConfigCompositionException)
mod("hydra.test_utils"); mod("hydra.test_utils.test_utils", chdir_hydra_root=lambda: None)
mod("tests"); mod("tests.defaults_list", create_repo=None)
src = open("tests/defaults_list/test_defaults_list.py").read()
g = {"__name__": "t"}
exec(compile(src, "test_defaults_list.py", "exec"), g)
cases = []
for fn, plist in REG.items():
    if not isinstance(fn, types.FunctionType):
        continue
    name = fn.__name__
    first = fn.__code__.co_firstlineno
    lines = src.splitlines()[first - 1:]
    while not lines[0].startswith("def "):
        lines = lines[1:]
    body = []
    for ln in lines[1:]:
        if ln and not ln[0].isspace() and not ln.startswith(")"):
            break
        body.append(ln)
    text = "\n".join(body)
    flags = {"prepend_hydra": "prepend_hydra=True" in text}
    for names, values in plist:
        names = [n.strip() for n in names.split(",")]
        if names[:2] != ["config_name", "overrides"] or names[-1] not in ("expected", "warning_file"):
            continue
        for p in values:
            d = dict(zip(names, p.values))
            exp = d["expected"]
            c = {"test": name, "id": p.id, "config": d["config_name"], "overrides": d["overrides"],
                 "skip_missing": bool(d.get("skip_missing", False))}
            c.update(flags)
            if isinstance(exp, list):
                c["expected"] = [{"config_path": r.kw.get("config_path"), "package": r.kw.get("package"), "is_self": r.kw.get("is_self", False)} for r in exp]
            elif isinstance(exp, Raises):
                c["raises"] = exp.exc
                c["match"] = exp.match
            else:
                continue
            cases.append(c)
json.dump(cases, sys.stdout, indent=1)
