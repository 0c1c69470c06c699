def a():
    return 1


def b():
    return 2


def gen():
    yield a
    yield b


for fn in gen():
    fn()
