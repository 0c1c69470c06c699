class Counter:
    def __init__(self):
        self.n = 0

    def bump(self):
        self.n += 1


counter = Counter()


def work():
    counter.bump()


work()
