class Deck:
    def __iter__(self):
        yield "A"
        yield "K"


def cards():
    return [c for c in Deck()]


cards()
