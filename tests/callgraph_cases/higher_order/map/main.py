def square(x):
    return x * x


list(map(square, [1, 2]))
