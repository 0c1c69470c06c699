def greet():
    return "hi"


def hello():
    return greet()
