class Circle:
    def area(self):
        return 3


class Square:
    def area(self):
        return 4


def total():
    result = 0
    shape = Circle()
    for _ in range(2):
        result += shape.area()
        shape = Square()
    return result


total()
