#!/usr/bin/python3
"""float_repr.py: the table test_cfg_pyfmt checks hycod's float repr by.

Each line of float_repr.txt is the IEEE 754 bits of a double in hex
and Python's repr() of it (Debian 12's /usr/bin/python3, which is what
OmegaConf's str() of a float is): random bit patterns, random short
decimals, every power of two and of ten in range, the neighbours of
each (where the shortest digits are hardest), subnormals, and the edges
of repr's two layouts (1e-05 and 0.0001, 1e+16 and 1e15).

  /usr/bin/python3 tests/config/float_repr.py > tests/config/float_repr.txt
"""
import math
import random
import struct


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def main():
    rng = random.Random(8)
    xs = []
    for _ in range(1000):
        x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if math.isfinite(x):
            xs.append(x)
    for _ in range(500):
        xs.append(float("%de%d" % (rng.randint(1, 10**rng.randint(1, 17)),
                                   rng.randint(-30, 30))))
    for e in range(-1074, 1024, 7):
        xs.append(math.ldexp(1.0, e))
    for e in range(-323, 309, 2):
        xs.append(float("1e%d" % e))
    for x in list(xs[-300:]):
        xs.append(math.nextafter(x, math.inf))
        xs.append(math.nextafter(x, -math.inf))
    xs += [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1,
           0.2, 0.3, 1 / 3, 2 / 3, 1e-5, 1e-4, 0.00015, 1e15, 1e16,
           9999999999999998.0, 1.2345678901234568e16, 123456789.12345679,
           2.0 ** 53, 2.0 ** 53 + 2, 2.0 ** 63, 2.0 ** 64, 750.5, 1000.0]
    xs += [-x for x in xs[::7]]
    xs += [0.0, -0.0, math.inf, -math.inf, math.nan]
    for x in xs:
        print("%016x %r" % (bits(x), x))


if __name__ == "__main__":
    main()
