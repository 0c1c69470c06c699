def load():
    return "l"


def save():
    return "s"


def handlers():
    return load, save


do_load, do_save = handlers()
do_load()
do_save()
