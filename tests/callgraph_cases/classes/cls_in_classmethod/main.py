class Shape:
    def __init__(self):
        self.sides = 0

    @classmethod
    def create(cls):
        return cls()


class Triangle(Shape):
    def __init__(self):
        self.sides = 3


Shape.create()
Triangle.create()
