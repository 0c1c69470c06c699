def deco(fn):
    def wrapper(*args):
        return fn(*args)

    return wrapper


@deco
def f(x):
    return x


f(1)
