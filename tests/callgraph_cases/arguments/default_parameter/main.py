def identity(x):
    return x


def negate(x):
    return -x


def transform(x, fn=identity):
    return fn(x)


transform(1)
transform(2, negate)
