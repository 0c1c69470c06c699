def add(a, b):
    return a + b


def sub(a, b):
    return a - b


plus, minus = add, sub
plus(1, 2)
minus(3, 1)
