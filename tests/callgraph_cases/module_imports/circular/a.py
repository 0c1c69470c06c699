import b


def fa():
    return "a"
