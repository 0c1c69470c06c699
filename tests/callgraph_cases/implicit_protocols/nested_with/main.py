class A:
    def __enter__(self):
        return "a"

    def __exit__(self, *exc):
        return False


class B:
    def __enter__(self):
        return "b"

    def __exit__(self, *exc):
        return False


def run():
    with A() as a, B() as b:
        return a + b


run()
