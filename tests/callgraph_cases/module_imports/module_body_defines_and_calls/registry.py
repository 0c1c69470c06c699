class Registry:
    def __init__(self):
        self.items = {}


DEFAULT = Registry()
