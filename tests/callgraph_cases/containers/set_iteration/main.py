def a():
    return 1


def b():
    return 2


def run():
    total = 0
    for fn in {a, b}:
        total += fn()
    return total


run()
