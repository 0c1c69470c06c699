class Shape:
    @property
    def name(self):
        return type(self).__name__


class Square(Shape):
    pass


print(Square().name)
