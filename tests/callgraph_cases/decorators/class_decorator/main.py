REGISTRY = []


def register(cls):
    REGISTRY.append(cls)
    return cls


@register
class Plugin:
    def __init__(self):
        self.name = "p"

    def run(self):
        return self.name


REGISTRY[0]().run()
