def repeat(n):
    def deco(fn):
        def wrapper():
            return [fn() for _ in range(n)]

        return wrapper

    return deco


@repeat(2)
def hello():
    return "hello"


hello()
