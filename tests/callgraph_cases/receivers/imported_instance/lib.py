class Service:
    def __init__(self):
        self.calls = 0

    def ping(self):
        self.calls += 1
        return self.calls


service = Service()
