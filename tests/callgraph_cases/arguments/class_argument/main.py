class Plugin:
    def __init__(self, name):
        self.name = name

    def run(self):
        return self.name


def load(cls):
    return cls("p").run()


load(Plugin)
