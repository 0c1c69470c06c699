def is_even(x):
    return x % 2 == 0


def evens(xs):
    return list(filter(is_even, xs))


evens([1, 2, 3])
