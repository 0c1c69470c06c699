def helper(x):
    return x + 1


def make():
    return lambda x: helper(x)


make()(1)
