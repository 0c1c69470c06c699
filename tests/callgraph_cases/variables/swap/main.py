def first():
    return 1


def second():
    return 2


def run():
    a, b = first, second
    a, b = b, a
    return a() * 10 + b()


run()
