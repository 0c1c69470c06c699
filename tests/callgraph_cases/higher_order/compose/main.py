def compose(f, g):
    return lambda x: f(g(x))


def inc(x):
    return x + 1


def dbl(x):
    return 2 * x


compose(inc, dbl)(5)
