def combine(fn, value):
    return fn(value)


def inc(x):
    return x + 1


args = (inc,)
kwargs = {"value": 1}
combine(*args, **kwargs)
