class It:
    def __init__(self, items):
        self.items = items
        self.i = 0

    def __next__(self):
        if self.i >= len(self.items):
            raise StopIteration
        self.i += 1
        return self.items[self.i - 1]


class Bag:
    def __iter__(self):
        return It([1, 2])


def total(bag):
    s = 0
    for x in bag:
        s += x
    return s


total(Bag())
