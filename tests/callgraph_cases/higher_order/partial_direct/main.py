import functools


def power(base, exp):
    return base**exp


functools.partial(power, 2)(3)
