def target():
    return "t"


def inner(fn):
    return fn()


def outer(fn):
    return inner(fn)


outer(target)
