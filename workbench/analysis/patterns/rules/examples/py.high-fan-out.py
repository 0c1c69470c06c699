"""Examples for py.high-fan-out: more than 15 distinct callees."""

import json
import os
import re


def h01(x):
    return x + 1


def h02(x):
    return x + 2


def h03(x):
    return x + 3


def h04(x):
    return x + 4


def h05(x):
    return x + 5


def h06(x):
    return x + 6


def h07(x):
    return x + 7


def h08(x):
    return x + 8


def h09(x):
    return x + 9


def h10(x):
    return x + 10


def h11(x):
    return x + 11


def h12(x):
    return x + 12


def h13(x):
    return x + 13


def h14(x):
    return x + 14


def h15(x):
    return x + 15


def h16(x):
    return x + 16


def step_a(x):
    return x


def step_b(x):
    return x


# ruleid: py.high-fan-out
def process(path):
    text = open(path).read()
    data = json.loads(text)
    name = os.path.basename(path)
    words = re.findall(r"\w+", text)
    size = len(words)
    upper = str(size).upper()
    total = sum(range(size))
    pairs = list(zip(words, words))
    lookup = dict(pairs)
    keys = sorted(lookup)
    biggest = max(keys, default="")
    smallest = min(keys, default="")
    flag = any(keys) and all(keys)
    joined = os.path.join(name, upper)
    first = step_a(data)
    second = step_b(first)
    return (total, biggest, smallest, flag, joined, second)


# ok: py.high-fan-out
def summarise(path):
    text = open(path).read()
    data = json.loads(text)
    return step_b(step_a(data))


# ok: py.high-fan-out
def repeated(x):
    return step_a(step_a(step_a(step_a(step_b(step_b(step_b(x)))))))


# ruleid: py.high-fan-out
def sixteen(x):
    return [
        h01(x),
        h02(x),
        h03(x),
        h04(x),
        h05(x),
        h06(x),
        h07(x),
        h08(x),
        h09(x),
        h10(x),
        h11(x),
        h12(x),
        h13(x),
        h14(x),
        h15(x),
        h16(x),
    ]


# ok: py.high-fan-out
def fifteen(x):
    return [
        h01(x),
        h02(x),
        h03(x),
        h04(x),
        h05(x),
        h06(x),
        h07(x),
        h08(x),
        h09(x),
        h10(x),
        h11(x),
        h12(x),
        h13(x),
        h14(x),
        h15(h15(x)),
    ]
