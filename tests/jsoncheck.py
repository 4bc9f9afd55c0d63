#!/usr/bin/python3
"""jsoncheck.py: read JSON as strictly as RFC 8259 allows.

As a program: jsoncheck.py [EXPR] < FILE exits 0 if FILE is one JSON
text (no NaN, no Infinity, no duplicate keys) and EXPR, a Python
expression over the parsed value d, is true; else it says why, exit 1."""
import json
import sys


def strict_json(text):
    """json.loads that refuses what RFC 8259 does not allow."""
    def no_constant(name):
        raise ValueError("not JSON: " + name)

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate key in %r" % keys)
        return dict(pairs)
    return json.loads(text, parse_constant=no_constant,
                      object_pairs_hook=no_duplicates)


def main():
    text = sys.stdin.buffer.read()
    try:
        # Bytes that are not UTF-8 are not JSON either (RFC 8259, 8.1).
        d = strict_json(text.decode("utf-8"))
    except ValueError as e:
        print("jsoncheck: not JSON: %s: %r" % (e, text[:200]))
        return 1
    if len(sys.argv) > 1 and not eval(sys.argv[1], {"d": d}):
        print("jsoncheck: %s is false for %r" % (sys.argv[1], d))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
