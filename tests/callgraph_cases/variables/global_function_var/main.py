def default():
    return 0


def custom():
    return 1


handler = default


def install():
    global handler
    handler = custom


def fire():
    return handler()


fire()
install()
fire()
