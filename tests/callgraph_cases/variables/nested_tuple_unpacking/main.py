def a():
    return 1


def b():
    return 2


def c():
    return 3


x, (y, z) = a, (b, c)
z()
y()
