import functools as ft


def add(a, b):
    return a + b


ft.reduce(add, [1, 2, 3])
