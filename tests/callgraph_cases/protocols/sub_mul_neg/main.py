class Num:
    def __init__(self, v):
        self.v = v

    def __sub__(self, other):
        return Num(self.v - other.v)

    def __mul__(self, k):
        return Num(self.v * k)

    def __neg__(self):
        return Num(-self.v)


n = Num(3)
r = -(n - Num(1)) * 2
