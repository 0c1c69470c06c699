def f():
    return "f"


def g():
    return "g"
