"""omegaconf_gen.py: the random configs tests/omegaconf_diff.py resolves.

Gen(random.Random(seed)).config() builds the map under `t:` (nodes Map,
Seq, Leaf, Alias; each literal Leaf carries its form label and the
value OmegaConf's loader gives it, each interpolation the paths it
uses); to_yaml() writes it out and says which path each line writes.
The forms and their labels are the classes omegaconf_diff.py reports.
"""
import re

import yaml
from omegaconf._utils import get_yaml_loader

LOADER = get_yaml_loader()

# Environment both sides see; names the generator uses and never sets.
ENV_SET = {
    "HYCO_T_STR": "hello",
    "HYCO_T_NUM": "5",
    "HYCO_T_EMPTY": "",
    "HYCO_T_EXP": "1e3",
    "HYCO_T_YES": "yes",
    "HYCO_T_PATH": "/data/a b",
    "HYCO_T_INTERP": "${t.nokey}",
}
ENV_UNSET = ["HYCO_T_UNSET", "HYCO_T_NOPE"]

# Plain scalar forms: label -> texts. The label names the class of a
# disagreement on a value of that form.
FORMS = {
    "int": ["0", "7", "42", "65536", "123456789"],
    "int-neg": ["-7", "-1", "-42", "-0"],
    "int-plus": ["+7", "+0"],
    "int-underscore": ["1_000", "1_000_000", "1__0", "1_"],
    "int-hex": ["0x1f", "0xFF", "0x1_f", "-0x1f", "0x0"],
    "int-octal": ["017", "0755", "0_17", "00", "-017", "0_"],
    "int-bin": ["0b101", "-0b11", "0b1_0"],
    "int-sexagesimal": ["12:30", "1:30:00", "-1:30", "190:20:30"],
    "int-big": ["9223372036854775807", "9223372036854775808",
                "-9223372036854775809", "123456789012345678901234567890",
                "0xffffffffffffffffff"],
    "float": ["0.5", "2.5", "3.14159", "0.1", "100.0", "1.0", "2.50",
              "1.10", "0.0"],
    "float-neg": ["-2.5", "-0.5", "-0.0", "-1.0", "-100.25"],
    "float-plus": ["+2.5", "+0.5"],
    "float-dot-end": ["1.", "-1.", "10."],
    "float-dot-start": [".5", ".25", "._5", ".5e+3"],
    "float-exp": ["1.5e-4", "1.0e+3", "6.02e+23", "2.5E-3", "-1.5e-4"],
    "float-exp-oc": ["1e3", "1E3", "1e-3", "1e+16", "2e-05", "1_0e2",
                     "1.5e3", "1.e3", "-1e3", "0.1e1", "1e0003", "1_e3"],
    "float-underscore": ["1_000.5", "0.1_5", "1_0.0"],
    "float-inf": [".inf", "-.inf", "+.inf", ".Inf", "-.INF"],
    "float-nan": [".nan", ".NaN", ".NAN"],
    "float-sexagesimal": ["12:30.5", "1:30:00.25", "-1:00.5", "0:30.5"],
    "float-range": ["1e400", "-1e400", "1.7976931348623157e308",
                    "4.9e-324", "1e-400"],
    "float-repr": ["100000000000000000.0", "0.00001", "0.0001",
                   "1234567890123456789.0", "0.000123", "1e15", "1e16",
                   "123456789.123456789", "0.30000000000000004"],
    "bool-yaml11": ["yes", "Yes", "YES", "no", "No", "NO", "on", "On",
                    "ON", "off", "Off", "OFF"],
    "bool": ["true", "false", "True", "FALSE", "TRUE", "False"],
    "str-yn": ["y", "n", "Y", "N"],
    "null": ["null", "~", "Null", "NULL", ""],
    "str-date": ["2001-01-01", "2001-12-14t21:59:43.10-05:00",
                 "2001-12-14 21:59:43.10"],
    "str-numlike": ["08", "0o17", "0X1F", "0B101", "1e3_", "1e_3", "inf",
                    "nan", "-.nan", "+.nan", "-.5", "+.5", ".5e3", "1:60",
                    "0:30", "12:30:61", "1.5.5", "1,000", "Infinity",
                    "0x", "yEs", "nUll", "tRue", "0x1g", "1e", "._e3"],
    "str": ["hello", "hello world", "/data/cache", "a_b", "x-1", "1a",
            "run:01", "a=b", "café", "C:\\dir", "50%", "a#b", "$", "$x",
            "{x}", "a}b"],
    "str-missing": ["???"],
    "bad-scalar": ["0b_", "0x_", "-0x_", "._"],
}
FORM_WEIGHTS = {"int-big": 0.4, "float-range": 0.4, "str-missing": 0.5}
# Forms that make OmegaConf refuse the file, for "trouble" configs only.
TROUBLE_FORMS = {"bad-scalar"}

# Strings only a quoted style can carry, and block scalars.
QUOTED_ONLY = ["tab\there", "line 1\nline 2", 'say "hi"', "back\\slash",
               "it's", " lead", "trail ", "a: b", "a #b", "- x", "*x",
               "&x", "!x", "%x", "@x", "`x", "[x]", "ünïcødé", "bell\x07",
               "", "#", "'", "\\", "\u00e9\u20ac", "x\r"]
BLOCKS = [("|", "line 1\nline 2\n"), ("|-", "kept\ntext"),
          (">", "folded text\n"), ("|+", "kept\n\n")]
TAGGED = [("!!str", "5", "plain"), ("!!str", "yes", "plain"),
          ("!!int", "7", "double"), ("!!float", "1", "double"),
          ("!!bool", "yes", "double"), ("!!str", "", "plain"),
          ("!!null", "", "single"), ("!!float", "1e3", "plain"),
          ("!!int", "0x1f", "plain")]

KEYS = ["a", "b", "c", "d", "x", "y", "lr", "name", "dir", "cfg", "run",
        "sub", "k1", "k_2", "my-key", "1a", "_p", "Seed", "v0", "n",
        "depth", "opt", "base", "data", "mode"]
TYPED_KEYS = ["1", "2", "0x10", "2.5", "017", "-3"]
ENV_DEFAULTS = ["5", "-5", "1.5e-4", "1e3", "null", "true", "'quoted'",
                "a b", "", "[1, 2]", "0x1f", "1_000", "inf", "/a/b", "yes",
                "'a,b'", "1.", "012", "{k: 1}", "\\,x", "'${t.nokey}'"]
FRAGMENTS = ["x", "_", "run-", "/", " ", ":", "a.b", "v", "-", "=", "%",
             "$", "{", "}", "@", "()", "'q'", '"', "é", "1"]

INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")

# Per-config features and the share of configs that have each.
FEATURES = {
    "brackets": 0.15,       # ${a[b]}, ${[a].b}
    "containers": 0.2,      # interpolations to maps and lists
    "spaces": 0.1,          # ${ a.b }
    "tags": 0.2,            # !!str 5, !!int "7"
    "keys": 0.15,           # int, float and quoted-digit keys
    "alias": 0.1,           # &anchor, *alias, << merge
    "resolvers": 0.1,       # oc.select, oc.decode, Hydra's now
    "comments": 0.3,        # # comments after values and on their own
}

# Hydra's own `now` (hydra/core/utils.py, setup_globals): registered on
# the OmegaConf side exactly as Hydra registers it. Date-only patterns,
# so that the two sides run in the same period.
NOW_PATTERNS = ["%Y-%m-%d", "%Y", "%d.%m.%Y", "run_%j", "%%Y"]


class Leaf:
    """A scalar: literal (form names its kind) or an interpolation."""

    def __init__(self, form, text, style="plain", tag=None):
        self.form = form        # form label, or "interp:<kind>"
        self.text = text        # the string YAML reads (before typing)
        self.style = style      # plain single double block:<indicator>
        self.tag = tag
        self.refs = []          # absolute paths the interpolation uses
        self.value = None       # OmegaConf's value of a literal


class Map:
    def __init__(self):
        self.entries = []       # (Key, node)
        self.flow = False
        self.anchor = None
        self.merge = None       # anchor name merged with <<


class Seq:
    def __init__(self):
        self.items = []
        self.flow = False
        self.anchor = None


class Key:
    def __init__(self, text, reachable=True, quoted=False):
        self.text = text
        self.reachable = reachable
        self.quoted = quoted
        # The key as OmegaConf has it (typed unless quoted).
        self.pykey = text if quoted or reachable else \
            literal_value(text, "plain")


class Alias:
    def __init__(self, name, path):
        self.name = name
        self.refs = [path]


def literal_value(text, style, tag=None):
    """What OmegaConf's loader makes of one scalar, or an exception."""
    try:
        return yaml.load("k: " + scalar_text(Leaf("", text, style, tag),
                                             False), Loader=LOADER)["k"]
    except Exception as e:   # noqa: BLE001 - the value is the exception
        return e


# ---------------------------------------------------------------------
# Generation

class Gen:
    """One config. A "clean" config (most of them) is built to resolve:
    interpolations form no cycle (each may use only literals, maps and
    lists whose interpolations were filled before it, never an
    ancestor), keys exist and the grammar is right. A "trouble" config
    also gets missing keys, cycles, bad grammar, unset variables, bad
    scalars, null and duplicate keys: both sides must refuse it."""

    def __init__(self, rng):
        self.rng = rng
        self.trouble = rng.random() < 0.3
        # Features a config has or lacks as a whole, so that one that
        # fails everywhere (say bracket keys) does not hide the rest.
        self.feat = {f: rng.random() < p for f, p in FEATURES.items()}
        self.interps = []       # (path, Leaf) to fill once paths exist
        self.filled = set()     # id() of interpolation leaves filled

    def pick_form(self):
        names = [n for n in FORMS if self.trouble or
                 n not in TROUBLE_FORMS]
        weights = [FORM_WEIGHTS.get(n, 1.0) for n in names]
        return self.rng.choices(names, weights)[0]

    def literal(self):
        r = self.rng.random()
        if r < 0.70:
            form = self.pick_form()
            text = self.rng.choice(FORMS[form])
            style = "plain"
            if not plain_ok(text, False):
                style = "double"
                form = "str-quoted"
            leaf = Leaf(form, text, style)
        elif r < 0.88:
            if self.rng.random() < 0.6:
                form = self.pick_form()
                text = self.rng.choice(FORMS[form])
            else:
                text = self.rng.choice(QUOTED_ONLY)
            style = self.rng.choice(["single", "double"])
            if style == "single" and any(c in text for c in "\n\t\r\x07"):
                style = "double"
            leaf = Leaf("str-quoted", text, style)
        elif r < 0.94 or not self.feat["tags"]:
            ind, text = self.rng.choice(BLOCKS)
            leaf = Leaf("str-block", text, "block:" + ind)
        else:
            tag, text, style = self.rng.choice(TAGGED)
            leaf = Leaf("tagged " + tag, text, style, tag)
        leaf.value = literal_value(leaf.text, leaf.style, leaf.tag)
        return leaf

    def node(self, depth, path, in_flow=False):
        r = self.rng.random()
        if depth < 4 and r < (0.30 if depth else 1.0):
            return self.container(depth, path, in_flow)
        if not in_flow and self.rng.random() < 0.35:
            leaf = Leaf("interp", "")
            self.interps.append((path, leaf))
            return leaf
        leaf = self.literal()
        if in_flow and leaf.style.startswith("block"):
            leaf = Leaf("str-quoted", leaf.text, "double")
            leaf.value = literal_value(leaf.text, "double")
        return leaf

    def container(self, depth, path, in_flow=False):
        flow = in_flow or (depth > 0 and self.rng.random() < 0.15)
        if self.rng.random() < 0.6 or depth == 0:
            m = Map()
            m.flow = flow
            n = self.rng.randint(0 if depth else 6, 5 if depth else 10)
            keys = self.rng.sample(KEYS, min(n, len(KEYS)))
            for k in keys:
                m.entries.append((Key(k), self.node(depth + 1, path + (k,),
                                                    flow)))
            if self.feat["keys"] and not flow and self.rng.random() < 0.2:
                tk = self.rng.choice(TYPED_KEYS)
                m.entries.append((Key(tk, reachable=False), self.literal()))
            if self.feat["keys"] and not flow and self.rng.random() < 0.2:
                # A quoted key that reads like an int: a string key.
                m.entries.append((Key("3", quoted=True),
                                  self.node(depth + 1, path + ("3",))))
            if self.trouble and depth and not flow and \
                    self.rng.random() < 0.02:
                m.entries.append((Key("null", reachable=False),
                                  self.literal()))
            if self.trouble and depth and not flow and m.entries and \
                    self.rng.random() < 0.02:
                k, _ = self.rng.choice(m.entries)
                m.entries.append((Key(k.text, reachable=False),
                                  self.literal()))
            return m
        s = Seq()
        s.flow = flow
        for i in range(self.rng.randint(0, 4)):
            s.items.append(self.node(depth + 1, path + (i,), flow))
        return s

    # -- interpolations ------------------------------------------------

    def targets(self, root):
        """Every reachable path: (path, node)."""
        out = []

        def walk(n, path):
            out.append((path, n))
            if isinstance(n, Map):
                for k, c in n.entries:
                    if k.reachable:
                        walk(c, path + (k.text,))
            elif isinstance(n, Seq):
                for i, c in enumerate(n.items):
                    walk(c, path + (i,))
        walk(root, ("t",))
        return out

    def settled(self, n):
        """True if every interpolation under n is filled already."""
        if isinstance(n, Leaf):
            return not n.form.startswith("interp") or id(n) in self.filled
        if isinstance(n, Map):
            return all(self.settled(c) for _, c in n.entries)
        if isinstance(n, Seq):
            return all(self.settled(c) for c in n.items)
        return True

    def pickable(self, paths, here):
        """The paths pick_target may return (as a set)."""
        clean = not self.trouble
        return set(p for p, n in paths if p != here and not (clean and (
            isinstance(n, Leaf) and (
                n.form == "str-missing" or n.form.startswith("interp") and
                (id(n) not in self.filled or
                 n.form in ("interp:missing-key", "interp:bad-grammar")))
            or not isinstance(n, Leaf) and (
                here[:len(p)] == p or not self.settled(n)))))

    def pick_target(self, paths, here):
        rng = self.rng
        r = rng.random()
        clean = not self.trouble
        lits = [p for p, n in paths if isinstance(n, Leaf) and
                not n.form.startswith("interp") and p != here and
                not (clean and n.form == "str-missing")]
        ints = [p for p, n in paths if isinstance(n, Leaf) and
                n.form.startswith("interp") and p != here and
                not (clean and (id(n) not in self.filled or
                                n.form in ("interp:missing-key",
                                           "interp:bad-grammar")))]
        conts = [p for p, n in paths if not isinstance(n, Leaf) and
                 not (clean and (here[:len(p)] == p or
                                 not self.settled(n)))]
        if not self.feat["containers"]:
            conts = []
        if (r < 0.77 or r < 0.96 and not ints) and lits:
            return rng.choice(lits)
        if r < 0.96 and ints:
            return rng.choice(ints)
        if conts and (r < 0.995 or clean):
            return rng.choice(conts)
        if lits and (clean or not self.feat["containers"]):
            return rng.choice(lits)
        return here            # a cycle of one

    def render_key(self, target, here):
        """Text of a node interpolation's key: absolute or relative."""
        rng = self.rng
        r = rng.random()
        parent = here[:-1]
        if r < 0.22:
            # Relative: up from the leaf's own container.
            ups = [u for u in range(len(parent) + 1)
                   if target[:len(parent) - u] == parent[:len(parent) - u]
                   and len(target) > len(parent) - u]
            if ups:
                u = rng.choice(ups)
                base = len(parent) - u
                return "." * (u + 1) + segs(
                    target[base:], rng, 0.2 * self.feat["brackets"], True)
        if self.feat["brackets"] and r < 0.5:
            return segs(target, rng, 0.4, False)
        return segs(target, rng, 0.0, False)

    def fill(self, root, path, leaf):
        self.fill_text(root, path, leaf)
        self.filled.add(id(leaf))

    def fill_text(self, root, path, leaf):
        rng = self.rng
        paths = self.targets(root)
        r = rng.random()
        if not self.trouble and r >= 0.94:
            r = rng.random() * 0.94
        if self.feat["resolvers"] and rng.random() < 0.3:
            self.resolver(paths, path, leaf)
        elif r < 0.40:
            t = self.pick_target(paths, path)
            leaf.refs = [t]
            sp = " " if self.feat["spaces"] and rng.random() < 0.3 else ""
            leaf.text = "${%s%s%s}" % (sp, self.render_key(t, path), sp)
            leaf.form = "interp:whole"
        elif r < 0.70:
            parts, refs = [], []
            for _ in range(rng.randint(1, 3)):
                if rng.random() < 0.7:
                    parts.append(rng.choice(FRAGMENTS))
                t = self.pick_target(paths, path)
                refs.append(t)
                parts.append("${%s}" % self.render_key(t, path))
            if rng.random() < 0.5 or len(refs) == 1 and len(parts) == 1:
                parts.append(rng.choice(FRAGMENTS))
            leaf.text = "".join(parts)
            leaf.refs = refs
            leaf.form = "interp:string"
        elif r < 0.82:
            name = rng.choice(list(ENV_SET) + ENV_UNSET)
            if name in ENV_UNSET and not self.trouble or \
                    rng.random() < 0.5:
                d = rng.choice(ENV_DEFAULTS if self.trouble else
                               ENV_DEFAULTS[:-1])
                arg = "%s,%s" % (name, d)
                leaf.form = "interp:env-default"
            else:
                arg = name
                leaf.form = "interp:env"
            e = "${oc.env:%s}" % arg
            if rng.random() < 0.3:
                e = rng.choice(FRAGMENTS) + e
                leaf.form += "-in-string"
            leaf.text = e
        elif r < 0.88:
            # Nested: the last key comes from another string leaf.
            ok = self.pickable(paths, path)
            cands = [p for p, n in paths if len(p) > 1 and p in ok and
                     isinstance(p[-1], str) and
                     re.match(r"^[A-Za-z_]\w*$", p[-1])]
            if not cands:
                leaf.text, leaf.form = "plain", "str"
                leaf.value = "plain"
                return
            t = rng.choice(cands)
            holder = Leaf("str", t[-1])
            holder.value = t[-1]
            kname = "kn%d" % len(root.entries)
            root.entries.append((Key(kname), holder))
            leaf.text = "${%s.${t.%s}}" % (segs(t[:-1], rng, 0.1, False),
                                          kname)
            leaf.refs = [t, ("t", kname)]
            leaf.form = "interp:nested"
        elif r < 0.94:
            t = self.pick_target(paths, path)
            k = segs(t, rng, 0.0, False)
            leaf.text = rng.choice([
                "\\${%s}" % k, "\\\\${%s}" % k, "x\\${%s}y" % k,
                "$ {%s}" % k, "a\\b${%s}" % k, "${%s}\\" % k,
                "\\\\\\${%s}" % k])
            leaf.refs = [t]
            leaf.form = "interp:escape"
        elif r < 0.97:
            leaf.text = rng.choice(["${t.nokey}", "x${t.nokey.y}",
                                    "${t.a.b.c.d.e}", "${.nokey}",
                                    "${...x}", "${t.99}"])
            leaf.form = "interp:missing-key"
        else:
            leaf.text = rng.choice(["${t.a", "${}", "${t a}", "${.}",
                                    "${t.a:}", "${oc.env:}", "x${", "${$}"])
            leaf.form = "interp:bad-grammar"
        leaf.style = "plain" if plain_ok(leaf.text, False) and \
            rng.random() < 0.5 else rng.choice(["single", "double"])

    def resolver(self, paths, path, leaf):
        """OmegaConf's other built-in resolvers and Hydra's now."""
        rng = self.rng
        t = self.pick_target(paths, path)
        k = segs(t, rng, 0.0, False)
        leaf.refs = [t]
        leaf.text = rng.choice([
            "${oc.select:%s}" % k, "${oc.select:%s,5}" % k,
            "${oc.select:t.nokey,5}", "${oc.select:t.nokey,null}",
            "${oc.decode:'[1, 2]'}", "${oc.decode:'1e3'}",
            "${oc.decode:${%s}}" % k, "${now:%s}" % rng.choice(NOW_PATTERNS),
            "x_${now:%s}" % rng.choice(NOW_PATTERNS)])
        leaf.form = "interp:resolver " + leaf.text.split(":")[0].lstrip(
            "x_${")

    def maybe_alias(self, root):
        """Now and then an anchored map and an alias or a merge key."""
        if not self.feat["alias"]:
            return
        maps = [(p, n) for p, n in self.targets(root)
                if isinstance(n, Map) and len(p) == 2 and not n.flow
                and n.entries]
        if not maps:
            return
        p, m = self.rng.choice(maps)
        m.anchor = "A1"
        if self.rng.random() < 0.5:
            root.entries.append((Key("alias1"), Alias("A1", p)))
        else:
            dst = Map()
            dst.merge = "A1"
            dst.entries.append((Key("own"), Leaf("int", "1")))
            dst.refs = [p]
            root.entries.append((Key("merged1"), dst))

    def config(self):
        root = self.container(0, ("t",))
        if not isinstance(root, Map):
            root = Map()
        for path, leaf in self.interps:
            self.fill(root, path, leaf)
        self.maybe_alias(root)
        return root


def segs(path, rng, pbracket, relative):
    """A key path as OmegaConf's grammar reads it (dots or brackets)."""
    out = []
    for i, s in enumerate(path):
        s = str(s)
        if rng.random() < pbracket:
            out.append("[%s]" % s)
        elif i == 0:
            out.append(s)
        else:
            out.append("." + s)
    return "".join(out)


# ---------------------------------------------------------------------
# Emission

def plain_ok(text, flow):
    """True if text can be written as a plain scalar here (PyYAML's
    scanner rules, kept to what libyaml reads the same way)."""
    if text == "":
        return not flow
    if text != text.strip() or text.startswith(("---", "...")):
        return False
    if text[0] in INDICATORS and not (text[0] == "-" and len(text) > 1 and
                                      text[1] != " "):
        return False
    if any(c in text for c in "\n\t\r\x07") or ": " in text or \
            " #" in text or text.endswith(":"):
        return False
    if flow and (any(c in text for c in ",[]{}") or ":" in text):
        return False
    return True


def dquote(s):
    out = []
    for c in s:
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif ord(c) < 0x20 or ord(c) == 0x7f:
            out.append("\\x%02x" % ord(c))
        else:
            out.append(c)
    return '"%s"' % "".join(out)


def scalar_text(leaf, flow):
    pre = leaf.tag + " " if leaf.tag else ""
    if leaf.style == "plain" and plain_ok(leaf.text, flow):
        return (pre + leaf.text).rstrip()
    if leaf.style == "single" and not any(c in leaf.text for c in "\n\r\t"):
        return pre + "'%s'" % leaf.text.replace("'", "''")
    return pre + dquote(leaf.text)


def key_text(k, flow):
    if k.quoted:
        return dquote(k.text)
    return k.text


def flow_text(n):
    if isinstance(n, Leaf):
        return scalar_text(n, True)
    if isinstance(n, Alias):
        return "*" + n.name
    if isinstance(n, Map):
        return "{%s}" % ", ".join("%s: %s" % (key_text(k, True),
                                              flow_text(c))
                                  for k, c in n.entries)
    return "[%s]" % ", ".join(flow_text(c) for c in n.items)


def emit(n, indent, lines, path):
    """Append the block lines of a container; lines are (text, path)."""
    sp = " " * indent
    if isinstance(n, Map):
        if n.merge:
            lines.append((sp + "<<: *" + n.merge, path, True))
        for k, c in n.entries:
            head = sp + key_text(k, False) + ":"
            cpath = path + (k.text,)
            if isinstance(c, Leaf):
                if c.style.startswith("block:"):
                    lines.append((head + " " + c.style[6:], cpath, False))
                    for ln in c.text.rstrip("\n").split("\n"):
                        lines.append((sp + "  " + ln, cpath, False))
                else:
                    lines.append(((head + " " + scalar_text(c, False))
                                  .rstrip(), cpath, True))
            elif isinstance(c, Alias):
                lines.append((head + " *" + c.name, cpath, True))
            else:
                anchor = " &" + c.anchor if c.anchor else ""
                if c.flow or empty(c):
                    lines.append((head + anchor + " " + flow_text(c), cpath,
                                  True))
                else:
                    lines.append((head + anchor, cpath, True))
                    emit(c, indent + 2, lines, cpath)
    else:
        for i, c in enumerate(n.items):
            cpath = path + (i,)
            if isinstance(c, Leaf):
                if c.style.startswith("block:"):
                    lines.append((sp + "- " + c.style[6:], cpath, False))
                    for ln in c.text.rstrip("\n").split("\n"):
                        lines.append((sp + "  " + ln, cpath, False))
                else:
                    lines.append(((sp + "- " + scalar_text(c, False))
                                  .rstrip(), cpath, True))
            elif c.flow or empty(c):
                lines.append((sp + "- " + flow_text(c), cpath, True))
            else:
                sub = []
                emit(c, indent + 2, sub, cpath)
                first, p0, ok = sub[0]
                sub[0] = (sp + "- " + first[indent + 2:], p0, ok)
                lines.extend(sub)


def empty(n):
    return isinstance(n, Map) and not n.entries and not n.merge or \
        isinstance(n, Seq) and not n.items


def to_yaml(root, rng=None):
    """The config's text and, for each line, the path it writes. With
    rng, comments go after some values and on lines of their own."""
    lines = [("t:", ("t",), True)]
    emit(root, 2, lines, ("t",))
    out = []
    for text, path, ok in lines:
        if rng and ok and rng.random() < 0.05:
            out.append(("  # a comment: with ${t.x} and 'quotes'", path))
        if rng and ok and rng.random() < 0.1:
            text += " # note"
        out.append((text, path))
    return "\n".join(t for t, _ in out) + "\n", [p for _, p in out]
