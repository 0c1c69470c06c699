def bold(fn):
    def wrapper():
        return "<b>" + fn() + "</b>"

    return wrapper


def italic(fn):
    def wrapper():
        return "<i>" + fn() + "</i>"

    return wrapper


@bold
@italic
def text():
    return "t"


text()
