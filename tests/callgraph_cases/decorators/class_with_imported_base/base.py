class Wrapper:
    def __init__(self, func):
        self.func = func

    def record(self):
        return "recorded"
