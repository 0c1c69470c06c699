def square(x):
    return x * x


class Table:
    squares = [square(i) for i in range(3)]


print(Table.squares)
