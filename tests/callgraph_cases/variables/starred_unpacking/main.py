def a():
    return "a"


def b():
    return "b"


def c():
    return "c"


first, *rest = [a, b, c]
first()
rest[1]()
