def square(x):
    return x * x


apply = lambda v: square(v) + 1
apply(3)
