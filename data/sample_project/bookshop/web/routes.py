"""Route registration with a decorator (closures)."""

ROUTES = {}


def route(path, methods=("GET",)):
    def register(handler):
        for method in methods:
            ROUTES[(method, path)] = handler
        return handler

    return register


def dispatch(method, path, request):
    handler = ROUTES.get((method, path))
    if handler is None:
        return 404, "not found"
    return handler(request)
