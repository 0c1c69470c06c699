def yes():
    return "y"


def no():
    return "n"


def choose(flag):
    fn = yes if flag else no
    return fn()


choose(True)
choose(False)
