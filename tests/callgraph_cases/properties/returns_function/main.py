def handle():
    return "handled"


class Router:
    @property
    def handler(self):
        return handle


Router().handler()
