def logged(fn):
    def wrapper(self, *args):
        return fn(self, *args)

    return wrapper


class Service:
    @logged
    def call(self, x):
        return x


Service().call(3)
