def a():
    return 1


def b():
    return 2


routes = {"get": [a, b], "post": [b]}
routes["get"][1]()
routes["post"][0]()
