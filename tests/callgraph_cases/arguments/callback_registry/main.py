callbacks = []


def register(fn):
    callbacks.append(fn)


def notify():
    for cb in callbacks:
        cb()


def first():
    return 1


def second():
    return 2


register(first)
register(second)
notify()
