#!/usr/bin/python3
"""run.py: the Python client's tests (tests/python/test_*.py) with
unittest, against the real bin/hycod; prints every skipped test with
its reason, then "python client: N passed, M failed, K skipped".
Arguments are test name patterns (unittest -k), e.g. `run.py fork`.
Needs $HYCOD and $TOP (make check sets them)."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixtures  # noqa: E402,F401  (puts client/python on sys.path)


def main():
    loader = unittest.TestLoader()
    loader.testNamePatterns = ["*%s*" % a for a in sys.argv[1:]] or None
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=1, stream=sys.stdout,
                                     buffer=False).run(suite)
    for test, reason in result.skipped:
        print("SKIPPED: %s: %s" % (test.id(), reason))
    failed = len(result.failures) + len(result.errors) + \
        len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    print("python client: %d passed, %d failed, %d skipped" %
          (passed, failed, len(result.skipped)))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
