def deco(fn):
    def wrapper():
        return fn()

    return wrapper


def outer():
    @deco
    def inner():
        return 5

    return inner()


outer()
