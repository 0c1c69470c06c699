def double(x):
    return 2 * x


def apply(value, *, op):
    return op(value)


apply(4, op=double)
