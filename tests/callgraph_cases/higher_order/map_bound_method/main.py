class Scaler:
    def __init__(self, k):
        self.k = k

    def scale(self, x):
        return self.k * x


s = Scaler(3)
list(map(s.scale, [1, 2]))
