"""Quality rule py.recursion: the function is in a call-graph cycle.

Positives: direct recursion, mutual recursion, a three-function cycle, a
method recursing through self. Negatives: iteration, a caller of a
recursive function (not in the cycle itself), a module function shadowing a
builtin that calls the builtin, a method delegating to a dict method of the
same name, a wrapper of a library function of the same name.
"""
import builtins
import json


# ruleid: py.recursion
def factorial(n):
    if n <= 1:
        return 1
    return n * factorial(n - 1)


# ruleid: py.recursion
def is_even(n):
    if n == 0:
        return True
    return is_odd(n - 1)


# ruleid: py.recursion
def is_odd(n):
    if n == 0:
        return False
    return is_even(n - 1)


# ruleid: py.recursion
def parse_expr(tokens):
    left = parse_term(tokens)
    if tokens and tokens[0] == "+":
        tokens.pop(0)
        return left + parse_expr(tokens)
    return left


# ruleid: py.recursion
def parse_term(tokens):
    left = parse_factor(tokens)
    if tokens and tokens[0] == "*":
        tokens.pop(0)
        return left * parse_term(tokens)
    return left


# ruleid: py.recursion
def parse_factor(tokens):
    token = tokens.pop(0)
    if token == "(":
        value = parse_expr(tokens)
        tokens.pop(0)
        return value
    return int(token)


class Tree:
    def __init__(self, children):
        self.children = children

    # ruleid: py.recursion
    def depth(self, node):
        best = 0
        for child in node.children:
            best = max(best, self.depth(child))
        return 1 + best


class Cache:
    def __init__(self):
        self._data = {}

    # ok: py.recursion
    def get(self, key):
        return self._data.get(key)


# ok: py.recursion
def factorial_loop(n):
    result = 1
    for i in range(2, n + 1):
        result *= i
    return result


# ok: py.recursion
def total_factorials(values):
    return sum(factorial(v) for v in values)


# ok: py.recursion
def print(*args):
    builtins.print("[app]", *args)


# ok: py.recursion
def loads(text):
    return json.loads(text)
