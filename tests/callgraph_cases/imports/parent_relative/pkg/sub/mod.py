from ..util import f


def go():
    return f()
