HANDLERS = {}


def route(fn):
    HANDLERS[fn.__name__] = fn
    return fn


@route
def index():
    return "index"


index()
HANDLERS["index"]()
