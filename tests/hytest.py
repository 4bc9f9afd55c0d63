"""hytest.py: the one check helper the Python tests share."""


class Checks:
    """check(cond, what) counts; summary() prints "name: N passed, M
    failed" and says whether all held."""

    def __init__(self, name):
        self.name = name
        self.passed = self.failed = 0

    def __call__(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL:", what)
        return bool(cond)

    def summary(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed,
                                            self.failed))
        return self.failed == 0
