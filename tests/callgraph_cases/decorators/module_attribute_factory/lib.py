def tag(name):
    def apply(fn):
        fn.tag = name
        return fn

    return apply
