import contextlib


@contextlib.contextmanager
def opened(name):
    yield name.upper()


def use():
    with opened("f") as handle:
        return handle


use()
