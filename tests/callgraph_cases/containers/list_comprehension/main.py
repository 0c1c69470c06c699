def x():
    return "x"


def y():
    return "y"


def collect():
    return [fn() for fn in [x, y]]


collect()
