def inc(x):
    return x + 1


def run(xs):
    return list(map(lambda x: inc(x), xs))


run([1])
