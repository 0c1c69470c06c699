"""Examples for py.recursion: functions in a call-graph cycle."""

import json


# ruleid: py.recursion
def factorial(n):
    return 1 if n <= 1 else n * factorial(n - 1)


# ruleid: py.recursion
def is_even(n):
    return True if n == 0 else is_odd(n - 1)


# ruleid: py.recursion
def is_odd(n):
    return False if n == 0 else is_even(n - 1)


# ok: py.recursion
def loads(text):
    return json.loads(text)


# ok: py.recursion
def iterative_factorial(n):
    result = 1
    for i in range(2, n + 1):
        result *= i
    return result


# ok: py.recursion
def caller(n):
    return factorial(n) + iterative_factorial(n)
