def one():
    return 1


def two():
    return 2


def run():
    funcs = [one, two]
    i = 0
    total = 0
    while i < 2:
        fn = funcs[i]
        total += fn()
        i += 1
    return total


run()
