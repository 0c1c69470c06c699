class CountCalls:
    def __init__(self, fn):
        self.fn = fn
        self.count = 0

    def __call__(self):
        self.count += 1
        return self.fn()


@CountCalls
def tick():
    return "tick"


tick()
