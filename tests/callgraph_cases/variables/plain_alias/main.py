def f():
    return 1


def run():
    g = f
    return g()


run()
