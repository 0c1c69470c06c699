def low():
    return "low"


def high():
    return "high"


def outer():
    fn = low

    def switch():
        nonlocal fn
        fn = high

    switch()
    return fn()


outer()
