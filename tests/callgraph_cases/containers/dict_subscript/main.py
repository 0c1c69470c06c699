def add(a, b):
    return a + b


def mul(a, b):
    return a * b


ops = {"add": add, "mul": mul}
ops["add"](1, 2)
