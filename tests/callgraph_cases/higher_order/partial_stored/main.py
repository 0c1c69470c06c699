from functools import partial


def greet(greeting, name):
    return greeting + name


hello = partial(greet, "hello ")


def run():
    return hello("bob")


run()
