registry = {}


def plugin():
    return "plugin"


def setup():
    registry["p"] = plugin


setup()
registry["p"]()
