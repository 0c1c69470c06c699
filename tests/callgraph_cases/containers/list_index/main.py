def first():
    return 1


def second():
    return 2


fs = [first, second]
fs[0]()
fs[-1]()
