#!/usr/bin/python3
"""omegaconf_diff.py: hycod --print-config against OmegaConf, differentially.

A seeded generator writes random configs: nested maps and lists under a
key `t:`, every scalar form OmegaConf's YAML loader types (YAML 1.1 ints,
floats, bools and nulls with their quirks, OmegaConf's own float
resolver, quoted and tagged scalars, block scalars), and interpolations
to any key: whole-string and several per string, absolute, bracketed and
relative keys, nested keys, list indexes, oc.env with and without a
default, escapes, missing keys, cycles and bad grammar. Each config is
resolved by

  OmegaConf.to_container(OmegaConf.load(file), resolve=True)["t"]

(Debian's python3-omegaconf 2.2.2: the reference) and by

  hycod -c file --print-config

whose output is read back with OmegaConf's own YAML loader
(omegaconf._utils.get_yaml_loader(), through yaml.load, not
OmegaConf.load, so that a printed "${" or "???" stays a string). That
loader is the judge because the reference values were typed by it: a
trainer that reads hycod's tree through OmegaConf must get the values
and types OmegaConf computes. yaml.safe_load would disagree with
OmegaConf on OmegaConf's own forms (1e3, 2001-01-01) and so could not
tell a hycod bug from a PyYAML difference.

Values and types must agree (int is not bool, 1 is not 1.0, nan equals
nan, -0.0 is not 0.0, key types count); where one side rejects a config
(exception / non-zero exit) the other must reject it too. A resolver
neither OmegaConf nor Hydra registers is taken as one the trainer
registers, whose value hycod cannot know: hycod must print each value
that needs it as its text (with_tokens() says how that is checked); a
config OmegaConf then refuses for want of that value is counted
"undecidable", apart from agreements and disagreements. hycod's own
keys come from its built-in defaults (merged under -c FILE); only `t` is
compared.

Each disagreement is sliced to a minimal repro (the disagreeing key and
what it references, checked to disagree the same way) and classified
by cause; the output is the repros (--examples N per class), a table
of classes with counts, and a last summary line. Exit 0 when all
agree, 1 otherwise, 2 on a harness error. A hycod crash, sanitizer
report or hang is always a disagreement. --self-test puts OmegaConf
itself (printed by a quoting dumper) in hycod's place: it must agree
on every config, which checks the generator and the comparison.

  /usr/bin/python3 tests/omegaconf_diff.py [--seed N] [--count N]
      [--hycod PATH] [--verbose] [--only I] [--examples N] [--keep DIR]
      [--self-test]
"""
import argparse
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime

import yaml
from omegaconf import OmegaConf
from omegaconf._utils import get_yaml_loader

from omegaconf_gen import ENV_SET, ENV_UNSET, Alias, Gen, Leaf, Map, Seq, \
    to_yaml

LOADER = get_yaml_loader()

# ---------------------------------------------------------------------
# The two resolvers

class Rejected:
    def __init__(self, what, key=None, line=None, crashed=False):
        self.what = what        # one line: exception or hycod's stderr
        self.key = key          # full key named, if any ("t.a.b")
        self.line = line        # 1-based line named, if any
        self.crashed = crashed  # a signal, a sanitizer report, a hang

    def __repr__(self):
        return "rejected: " + self.what


# A resolver neither OmegaConf nor Hydra registers (${t.a:} among the
# generator's bad grammar) is, to hycod, one a trainer registers: it
# leaves the value as its text with a warning (README, Configuration).
# OmegaConf is made to play that trainer: each such name gets a
# resolver that answers a token; a value that holds a token then must
# come out of hycod as the text it was written with. A config that
# OmegaConf then refuses because of a token (used as a key) cannot be
# judged: it is counted apart.
TOKEN = "HYCOUNRESOLVED%d"
TOKEN_RE = re.compile(r"HYCOUNRESOLVED(\d+)")


class Unknowable:
    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return "undecidable: " + self.what


def with_tokens(path):
    """OmegaConf's result, and the text each token stands for."""
    from omegaconf.basecontainer import BaseContainer
    raws, names = [], []

    def register(name):
        def res(*args, _node_):
            raws.append(_node_._value())
            return TOKEN % (len(raws) - 1)
        OmegaConf.register_new_resolver(name, res, replace=True)
        names.append(name)
    try:
        for _ in range(8):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    cfg = OmegaConf.load(path)
                    out = OmegaConf.to_container(cfg, resolve=True)
                break
            except Exception as e:   # noqa: BLE001
                m = re.search(r"Unsupported interpolation type (\S+)",
                              str(e))
                if type(e).__name__ != "UnsupportedInterpolationType" \
                        or not m or m.group(1) in names:
                    raise
                register(m.group(1))
        else:
            raise RuntimeError("too many unknown resolvers")
        if raws:
            raw = OmegaConf.to_container(cfg, resolve=False)
            out = untoken(out, raw, raws)
        return out, raws
    finally:
        for n in names:
            BaseContainer._resolvers.pop(n, None)


def untoken(x, raw, raws):
    """Each value holding a token as hycod prints it: its own text
    where the loaded config has it, else the text of the value the
    token came from (a map copied by ${...} from elsewhere)."""
    if isinstance(x, dict):
        return {k: untoken(v, raw.get(k, KeyError) if isinstance(raw, dict)
                           else KeyError, raws) for k, v in x.items()}
    if isinstance(x, list):
        return [untoken(v, raw[i] if isinstance(raw, list) and
                        i < len(raw) else KeyError, raws)
                for i, v in enumerate(x)]
    if isinstance(x, str) and TOKEN_RE.search(x):
        if isinstance(raw, str):
            return raw
        return raws[int(TOKEN_RE.search(x).group(1))]
    return x


def omegaconf_side(path):
    try:
        out, raws = with_tokens(path)
        return out["t"]
    except Exception as e:   # noqa: BLE001 - any exception is a rejection
        key = getattr(e, "full_key", None)
        mark = getattr(e, "problem_mark", None)
        first = str(e).strip().splitlines()
        what = "%s: %s" % (type(e).__name__, first[0] if first else "")
        if TOKEN_RE.search(str(e)):
            return Unknowable(what)
        return Rejected(what, key=key or None,
                        line=mark.line + 1 if mark else None)


HYCOD_ERR = re.compile(r"^[^:\s]+:(\d+): ([^:\s]+): (.*)$")


def hycod_side(hycod, path, env):
    try:
        p = subprocess.run([hycod, "-c", path, "--print-config"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=20)
    except subprocess.TimeoutExpired:
        return Rejected("timeout (hung)", crashed=True)
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode != 0:
        key = line = None
        for ln in err.splitlines():
            m = HYCOD_ERR.match(ln)
            if m:
                line, key = int(m.group(1)), m.group(2)
                break
        what = err.strip().splitlines()[0] if err.strip() else ""
        crashed = p.returncode < 0 or "Sanitizer" in err
        if p.returncode < 0:
            what = "killed by signal %d %s" % (-p.returncode, what)
        return Rejected(what, key=key, line=line, crashed=crashed)
    try:
        out = yaml.load(p.stdout.decode("utf-8"), Loader=LOADER)
    except Exception as e:   # noqa: BLE001
        return Unreadable("%s: %s" % (type(e).__name__,
                                      str(e).splitlines()[0]))
    if not isinstance(out, dict) or "t" not in out:
        return Unreadable("no t: in the output")
    return out["t"]


class QuotingDumper(yaml.SafeDumper):
    """Every string quoted. OmegaConf's own dumper is not enough: it
    prints '._5' and '0._e3' plain, which its loader reads as floats."""


QuotingDumper.add_representer(
    str, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s,
                                         style="'"))


def reference_side(path):
    """--self-test: what a hycod that resolved exactly as OmegaConf and
    quoted every string would print, read back the same way. Any
    disagreement then is the harness's own bug."""
    out = omegaconf_side(path)
    if isinstance(out, Rejected):
        return out
    text = yaml.dump({"t": out}, Dumper=QuotingDumper, sort_keys=False,
                     allow_unicode=True)
    try:
        return yaml.load(text, Loader=LOADER)["t"]
    except Exception as e:   # noqa: BLE001
        return Unreadable("%s: %s" % (type(e).__name__, e))


class Unreadable:
    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return "output unreadable: " + self.what


# ---------------------------------------------------------------------
# Comparison

def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


def diffs(a, b, path):
    """Paths where the two resolved trees differ: (path, why)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        ka = [(type(k), k) for k in a]
        kb = [(type(k), k) for k in b]
        if set(ka) != set(kb):
            for t, k in ka:
                if (t, k) not in kb:
                    out.append((path + (k,), "key %r (%s) missing in "
                                "hycod's output" % (k, t.__name__)))
            for t, k in kb if not out else []:
                if (t, k) not in ka:
                    out.append((path + (k,), "key %r (%s) only in hycod's "
                                "output" % (k, t.__name__)))
        elif ka != kb:
            out.append((path, "key order"))
        for t, k in ka:
            if (t, k) in kb:
                out += diffs(a[k], b[k], path + (k,))
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [(path, "list length %d vs %d" % (len(a), len(b)))]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += diffs(x, y, path + (i,))
        return out
    if same(a, b):
        return []
    if type(a) is not type(b):
        return [(path, "type")]
    return [(path, "value")]


def fmt(v):
    if isinstance(v, (Rejected, Unreadable, Unknowable)):
        return repr(v)
    return "%r (%s)" % (v, type(v).__name__)


# ---------------------------------------------------------------------
# Classification and slicing

def spec_at(root, path):
    """The generator's node at a resolved path ("t" first), stopping at
    a leaf (a whole interpolation may stand for a subtree) or where the
    path leaves what the generator wrote (merged or typed keys)."""
    n = root
    for s in path[1:]:
        if isinstance(n, Map):
            nxt = None
            for k, c in n.entries:
                if k.pykey == s and type(k.pykey) is type(s):
                    nxt = c
            if nxt is None:
                return n
            n = nxt
        elif isinstance(n, Seq) and isinstance(s, int) and \
                s < len(n.items):
            n = n.items[s]
        else:
            return n
    return n


def parse_key(key):
    """'t.a[0].b' -> ('t', 'a', 0, 'b') (digits become indexes)."""
    out = []
    for part in re.findall(r"[^.\[\]]+", key or ""):
        out.append(int(part) if part.isdigit() else part)
    return tuple(out)


def path_of_line(lines, line):
    if line and 1 <= line <= len(lines):
        return lines[line - 1]
    return ("t",)


def ultimate(root, leaf, seen=None):
    """The nodes a whole-string interpolation's value comes from: its
    target, or its target's target while that is a whole-string one."""
    seen = seen if seen is not None else set()
    n = leaf
    while isinstance(n, Leaf) and n.form in ("interp:whole",
                                             "interp:nested") and n.refs:
        if id(n) in seen:
            return None
        seen.add(id(n))
        n = spec_at(root, n.refs[0])
    return n


def kind(n):
    """A short name for what a referenced node is."""
    if isinstance(n, Map):
        return "map"
    if isinstance(n, Seq):
        return "list"
    if isinstance(n, Leaf):
        return n.form.replace("interp:", "interpolation ")
    return "alias"


def str_differs(n):
    """True if Python's str() of a literal's value is not its text: the
    case where keeping the source text in a string goes wrong."""
    if not isinstance(n, Leaf) or n.form.startswith("interp"):
        return False
    return str(n.value) != n.text


def key_shape(k):
    """The syntax feature of an interpolation key hycod did not find."""
    if k != k.strip() or k == "":
        return "whitespace inside ${ }"
    if "[" in k:
        return "bracket key ${a[b]}"
    if "<<" in k:
        return "key through a << merge"
    if k.startswith("."):
        return "relative key ${%s...}" % ("." * (len(k) - len(k.lstrip("."))))
    return "absolute key"


def hycod_cause(root, msg, key):
    """The class of a config hycod refuses and OmegaConf resolves."""
    body = msg.split(": ", 2)[-1] if HYCOD_ERR.match(msg) else msg
    via = re.search(r"\(via (.*)\)", body)
    last = via.group(1).split(" -> ")[-1] if via else key
    body = re.sub(r" *\(via .*\)", "", body)
    if key and "<<" in key.split("."):
        return "hycod rejects: a << merge key read as a plain key"
    m = re.match(r"interpolation key '(.*)' not found$", body)
    if m:
        return "hycod rejects: key not found: " + key_shape(m.group(1))
    m = re.search(r"unknown resolver.*\$\{([\w.]+):", body)
    if m:
        return "hycod rejects: unknown resolver %s" % m.group(1)
    if re.match(r"'.*' is a mapping or list, not a value$", body):
        n = spec_at(root, parse_key(last))
        where = "whole-string" if isinstance(n, Leaf) and \
            n.form == "interp:whole" else "in-string"
        return "hycod rejects: %s interpolation to a map or list" % where
    return "hycod rejects: " + normalise(body)


OC_CAUSES = [
    (r"Interpolation to parent node", "interpolation to an ancestor"),
    (r"Recursive interpolation", "interpolation cycle"),
    (r"MissingMandatoryValue", "interpolation to a ??? value"),
    (r"Incompatible key type 'NoneType'", "null key"),
    (r"found duplicate key", "duplicate key"),
    (r"ValueError: invalid literal for int", "bad int scalar (0x_, 0b_)"),
    (r"ValueError: could not convert string to float",
     "bad float scalar (._)"),
    (r"GrammarParseError", "interpolation grammar error"),
    (r"Environment variable .* not found", "unset variable, no default"),
    (r"env\(\) (missing|takes)", "oc.env arity"),
    (r"should return a string", "nested key that is not a string"),
    (r"is not a container", "key through a scalar"),
    (r"Unsupported interpolation type", "unknown resolver"),
    (r"Interpolation key .* not found|ConfigKeyError", "missing key"),
    (r"is not an int", "list index that is not an int"),
]


def oc_cause(what, n):
    at = ""
    if isinstance(n, Leaf) and n.form.startswith("interp:"):
        at = " (at %s)" % n.form[7:].split(" ")[0]
    for pat, name in OC_CAUSES:
        if re.search(pat, what):
            return "OmegaConf rejects, hycod accepts: " + name + at
    return "OmegaConf rejects, hycod accepts: " + normalise(what) + at


def mismatch(oc, hy, p, why):
    if why == "type":
        return "OmegaConf %s, hycod %s" % (type(at(oc, p)).__name__,
                                           type(at(hy, p)).__name__)
    return why


def follows(root, node, bad_paths):
    """True if node (or a map or list around it) disagrees itself."""
    if node is None:
        return False
    for q in paths_of(root, node):
        for b in bad_paths:
            if b[:len(q)] == q or q[:len(b)] == b:
                return True
    return False


def value_cause(root, n, oc, hy, p, why, bad_paths):
    """The class of a value or type mismatch at p, or None when it only
    follows from another mismatch in the same config."""
    how = mismatch(oc, hy, p, why)
    if isinstance(n, Alias) or isinstance(n, Map) and n.merge:
        src = spec_at(root, (n.refs[0]))
        if follows(root, src, bad_paths):
            return None         # the anchored map disagrees already
    if why.startswith("key "):
        k = key_at(root, p)
        what = "key" if k is None else "quoted key %r" % k.text \
            if k.quoted else "key %s" % k.text if k.reachable else \
            "typed key %s" % k.text
        return "%s: %s" % (what, re.sub(r" '?[^ ]*'? \(", " (", why[4:]))
    if why == "key order":
        return "key order"
    if isinstance(n, Alias):
        return "alias *%s: %s" % (n.name, how)
    if isinstance(n, Map) and n.merge:
        return "map with a << merge key: %s" % how
    if not isinstance(n, Leaf):
        return "%s: %s" % (kind(n), how)
    if not n.form.startswith("interp"):
        return "literal %s: %s" % (n.form, how)
    if n.form in ("interp:whole", "interp:nested"):
        u = ultimate(root, n)
        if follows(root, u, bad_paths):
            return None         # what it copies disagrees already
        return "%s of %s: %s" % ("whole-string ${x}" if n.form ==
                                 "interp:whole" else "nested ${a.${b}}",
                                 kind(u), how)
    if n.form == "interp:string" or n.form == "interp:escape" and \
            not re.search(r"\\\$\{", n.text):
        for r in n.refs:
            u = ultimate(root, spec_at(root, r))
            if follows(root, u, bad_paths):
                return None     # what it uses disagrees already
        for r in n.refs:
            u = ultimate(root, spec_at(root, r))
            if isinstance(u, (Map, Seq)):
                return "str() of a %s in a string (Python repr): %s" % (
                    kind(u), how)
            if str_differs(u):
                return "str() in a string of %s: %s" % (kind(u), how)
        return "in-string interpolation: %s" % how
    if n.form.startswith("interp:env-default"):
        d = n.text.split(",", 1)[1].rsplit("}", 1)[0]
        return "oc.env default <%s>%s: %s" % (
            d, " in a string" if "in-string" in n.form else "", how)
    if n.form == "interp:escape":
        shape = re.sub(r"\$\{[^}]*\}", "${K}", n.text)
        return "escape <%s>: %s" % (shape, how)
    return "%s: %s" % (kind(n), how)


def bad_literal(root):
    """The path of a literal OmegaConf's loader cannot read (0x_), for
    a load error that names no line."""
    for q, n in [(q, n) for n in walk_leaves(root) for q in
                 paths_of(root, n)]:
        if isinstance(n.value, Exception):
            return q
    return None


def walk_leaves(n):
    if isinstance(n, Leaf):
        yield n
    elif isinstance(n, Map):
        for _, c in n.entries:
            yield from walk_leaves(c)
    elif isinstance(n, Seq):
        for c in n.items:
            yield from walk_leaves(c)


def key_at(root, p):
    """The generator's Key for the last part of p, if any."""
    m = spec_at(root, p[:-1])
    if isinstance(m, Map):
        for k, _ in m.entries:
            if k.pykey == p[-1] and type(k.pykey) is type(p[-1]):
                return k
    return None


def paths_of(root, target):
    out = []

    def walk(n, p):
        if n is target:
            out.append(p)
        if isinstance(n, Map):
            for k, c in n.entries:
                walk(c, p + (k.text,))
        elif isinstance(n, Seq):
            for i, c in enumerate(n.items):
                walk(c, p + (i,))
    walk(root, ("t",))
    return out


def normalise(msg):
    msg = re.sub(r"'[^']*'", "'…'", msg)
    msg = re.sub(r"`[^`]*`", "`…`", msg)
    msg = re.sub(r"\d+", "N", msg)
    return msg[:90]


def classify(root, lines, oc, hy):
    """[(class, path)] where the two sides disagree; [] if they agree."""
    if isinstance(hy, Rejected) and hy.crashed:
        return [("hycod crashed or hung: " + normalise(hy.what), ("t",))]
    if isinstance(oc, Unknowable):
        return []
    if isinstance(oc, Rejected) and isinstance(hy, Rejected):
        return []
    if isinstance(oc, Rejected):
        p = parse_key(oc.key) if oc.key else path_of_line(lines, oc.line)
        if p == ("t",):
            p = bad_literal(root) or p
        return [(oc_cause(oc.what, spec_at(root, p)), p)]
    if isinstance(hy, Rejected):
        p = parse_key(hy.key) if hy.key else path_of_line(lines, hy.line)
        return [(hycod_cause(root, hy.what, hy.key), p)]
    if isinstance(hy, Unreadable):
        return [("hycod output unreadable by OmegaConf's loader", ("t",))]
    found = diffs(oc, hy, ("t",))
    bad = set(p for p, _ in found)
    out = []
    for p, why in found:
        c = value_cause(root, spec_at(root, p), oc, hy, p, why, bad)
        if c:
            out.append((c, p))
    return out


def at(x, path):
    for s in path[1:]:
        x = x[s]
    return x


def needed(root, path):
    """Paths a slice keeps: the node at path and what it references."""
    keep, todo = set(), [tuple(path)]
    while todo:
        p = todo.pop()
        if p in keep:
            continue
        keep.add(p)
        n = spec_at(root, p)
        stack = [n]
        while stack:
            x = stack.pop()
            if isinstance(x, (Leaf, Alias)):
                todo.extend(tuple(r) for r in x.refs)
            elif isinstance(x, Map):
                stack.extend(c for _, c in x.entries)
                todo.extend(tuple(r) for r in getattr(x, "refs", []))
            elif isinstance(x, Seq):
                stack.extend(x.items)
    return keep


def slice_tree(root, keep):
    """A copy of root with only what keep needs; list items not needed
    become 0 so that indexes stay valid."""
    def under(p):
        return any(k[:len(p)] == p for k in keep)

    def whole(p):
        return any(p[:len(k)] == k for k in keep)

    def copy(n, p):
        if whole(p) or isinstance(n, (Leaf, Alias)):
            return n
        if isinstance(n, Map):
            m = Map()
            m.flow, m.anchor, m.merge = n.flow, n.anchor, n.merge
            if hasattr(n, "refs"):
                m.refs = n.refs
            for k, c in n.entries:
                cp = p + (k.text,)
                if under(cp):
                    m.entries.append((k, copy(c, cp)))
            return m
        s = Seq()
        s.flow, s.anchor = n.flow, n.anchor
        last = max([i for i in range(len(n.items)) if under(p + (i,))],
                   default=-1)
        for i in range(last + 1):
            cp = p + (i,)
            if under(cp):
                s.items.append(copy(n.items[i], cp))
            else:
                z = Leaf("int", "0")
                s.items.append(z)
        return s
    out = copy(root, ("t",))
    # An alias needs its anchor emitted first: keep the anchored map.
    return out


# ---------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--hycod", default=os.environ.get("HYCOD", "bin/hycod"))
    ap.add_argument("--verbose", action="store_true",
                    help="print every config and both results")
    ap.add_argument("--only", type=int, default=None,
                    help="run only config number ONLY of the seed")
    ap.add_argument("--examples", type=int, default=None,
                    help="print at most N repros per class (default all)")
    ap.add_argument("--self-test", action="store_true",
                    help="compare OmegaConf with itself printed by its "
                    "own dumper: checks the harness, not hycod")
    ap.add_argument("--keep", default=None,
                    help="write the configs to this directory and keep them")
    args = ap.parse_args()

    hycod = os.path.abspath(args.hycod)
    if args.self_test:
        global hycod_side

        def hycod_side(_hycod, path, _env):
            return reference_side(path)
    elif not os.access(hycod, os.X_OK):
        print("omegaconf_diff: %s: not executable (make first)" % hycod,
              file=sys.stderr)
        return 2
    OmegaConf.register_new_resolver(
        "now", lambda pattern: datetime.now().strftime(pattern),
        use_cache=True, replace=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("HYCO")}
    env.update(ENV_SET)
    for k in ENV_UNSET:
        os.environ.pop(k, None)
    os.environ.update(ENV_SET)

    work = args.keep or tempfile.mkdtemp(prefix="omegaconf_diff.")
    os.makedirs(work, exist_ok=True)
    start = time.monotonic()
    t_oc = t_hy = 0.0
    classes = {}            # class -> [(index, repro text)]
    bad = rejected_both = unknowable = 0
    n_run = 0
    indexes = [args.only] if args.only is not None else range(args.count)
    for i in indexes:
        rng = random.Random("%d/%d" % (args.seed, i))
        gen = Gen(rng)
        root = gen.config()
        text, lines = to_yaml(root, rng if gen.feat["comments"] else None)
        path = os.path.join(work, "c%05d.yaml" % i)
        with open(path, "w") as f:
            f.write(text)
        t0 = time.monotonic()
        oc = omegaconf_side(path)
        t1 = time.monotonic()
        hy = hycod_side(hycod, path, env)
        t2 = time.monotonic()
        t_oc += t1 - t0
        t_hy += t2 - t1
        n_run += 1
        if args.verbose:
            print("== config %d\n%s-- OmegaConf: %s\n-- hycod: %s" %
                  (i, text, fmt(oc), fmt(hy)))
        if isinstance(oc, Unknowable) and not (isinstance(hy, Rejected)
                                               and hy.crashed):
            unknowable += 1
            continue
        both_rej = isinstance(oc, Rejected) and isinstance(hy, Rejected) \
            and not hy.crashed
        if both_rej:
            rejected_both += 1
            continue
        found = classify(root, lines, oc, hy)
        if not found:
            continue
        bad += 1
        seen = set()
        for cls, p in found:
            if cls in seen:
                continue
            seen.add(cls)
            repro = make_repro(root, p, cls, text, oc, hy, hycod, env,
                               work, i, lines)
            classes.setdefault(cls, []).append((i, repro))
        if not args.keep:
            os.unlink(path)

    shown = 0
    for cls, items in sorted(classes.items(), key=lambda x: -len(x[1])):
        for i, repro in items[:args.examples]:
            print("-- disagreement, config %d (--seed %d --only %d): %s" %
                  (i, args.seed, i, cls))
            print(repro)
            shown += 1
    if classes:
        print("== disagreement classes (configs per class)")
        for cls, items in sorted(classes.items(), key=lambda x: -len(x[1])):
            print("%5d  %s" % (len(items), cls))
    if not args.keep:
        try:
            for f in os.listdir(work):
                os.unlink(os.path.join(work, f))
            os.rmdir(work)
        except OSError:
            pass
    took = time.monotonic() - start
    print("omegaconf_diff: seed %d: %d configs, %d agree (%d rejected by "
          "both), %d disagree in %d classes, %d undecidable; %.1fs "
          "(OmegaConf %.1fs, %s %.1fs)" % (
              args.seed, n_run, n_run - bad - unknowable, rejected_both,
              bad, len(classes), unknowable, took, t_oc,
              "self-test" if args.self_test else "hycod", t_hy))
    return 1 if bad else 0


def make_repro(root, p, cls, text, oc, hy, hycod, env, work, i, lines):
    """The smallest config (slice) that disagrees the same way, with the
    two results at the disagreeing key."""
    small = slice_tree(root, needed(root, p))
    stext, slines = to_yaml(small)
    spath = os.path.join(work, "s%05d.yaml" % i)
    with open(spath, "w") as f:
        f.write(stext)
    soc = omegaconf_side(spath)
    shy = hycod_side(hycod, spath, env)
    os.unlink(spath)
    if cls not in [c for c, _ in classify(small, slines, soc, shy)]:
        stext, soc, shy = text, oc, hy     # the slice lost it: show all
    return "%s   OmegaConf: %s\n   hycod:     %s\n" % (
        indent(stext), side_at(soc, p), side_at(shy, p))


def side_at(v, p):
    if isinstance(v, (Rejected, Unreadable, Unknowable)):
        return repr(v)
    try:
        return "%s = %s" % (".".join(map(str, p)), fmt(at(v, p)))
    except (KeyError, IndexError, TypeError):
        return fmt(v)


def indent(s):
    return "".join("   | " + ln + "\n" for ln in s.splitlines())


if __name__ == "__main__":
    sys.exit(main())
