def fast():
    return 1


def slow():
    return 2


def pick(n):
    if n > 1:
        return fast
    return slow


for n in (1, 2):
    pick(n)()
