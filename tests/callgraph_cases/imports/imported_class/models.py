class User:
    def __init__(self, name):
        self.name = name

    def shout(self):
        return self.name.upper()
