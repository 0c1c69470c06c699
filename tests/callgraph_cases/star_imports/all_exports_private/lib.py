__all__ = ["_special"]


def _special():
    return "special"


def normal():
    return "lib normal"
