import base


class Timed(base.Wrapper):
    def __call__(self, *args):
        self.record()
        return self.func(*args)


@Timed
def add(a, b):
    return a + b


add(1, 2)
