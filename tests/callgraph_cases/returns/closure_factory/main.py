def base(x):
    return x


def make_adder(n):
    def add(x):
        return base(x) + n

    return add


add5 = make_adder(5)
add5(1)
