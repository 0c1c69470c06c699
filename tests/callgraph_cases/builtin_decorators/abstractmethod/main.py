from abc import ABC, abstractmethod


class Shape(ABC):
    @abstractmethod
    def area(self): ...


class Square(Shape):
    def __init__(self, side):
        self.side = side

    def area(self):
        return self.side**2


def total(shapes):
    return sum(s.area() for s in shapes)


total([Square(2), Square(3)])
