class Bucket:
    def __init__(self):
        self.items = []

    def __iadd__(self, item):
        self.items.append(item)
        return self


def fill():
    b = Bucket()
    b += 1
    b += 2
    return b


fill()
