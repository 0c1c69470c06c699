def traced(fn):
    def wrapper():
        return fn()

    return wrapper
