class Rect:
    def __init__(self, w, h):
        self.w, self.h = w, h

    def compute(self):
        return self.w * self.h

    @property
    def area(self):
        return self.compute()

    def describe(self):
        return str(self.area)


Rect(2, 3).describe()
