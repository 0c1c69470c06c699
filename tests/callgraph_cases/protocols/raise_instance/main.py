class Invalid(Exception):
    def __init__(self, field):
        self.field = field


def check(value):
    if value < 0:
        raise Invalid("value")
    return value


try:
    check(-1)
except Invalid as e:
    print(e.field)
