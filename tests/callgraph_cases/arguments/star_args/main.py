def a():
    return 1


def b():
    return 2


def run_all(*funcs):
    return [fn() for fn in funcs]


run_all(a, b)
