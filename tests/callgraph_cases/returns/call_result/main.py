def inner():
    return "inner"


def get():
    return inner


get()()
