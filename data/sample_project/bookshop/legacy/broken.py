"""A half-finished edit: this module has a syntax error on purpose."""


def discount(price:
    return price * 0.9
