def inner():
    yield 1


def outer():
    yield from inner()
    yield 2


list(outer())
