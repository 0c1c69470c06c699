def visible():
    return 1


def _hidden():
    return "lib"
