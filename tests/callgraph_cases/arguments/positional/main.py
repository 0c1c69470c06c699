def hello():
    return "hello"


def call(fn):
    return fn()


call(hello)
