class Worker:
    def __init__(self):
        self.done = 0

    def work(self):
        self.done += 1


class Pool:
    default = Worker()


Pool.default.work()
