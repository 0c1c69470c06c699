def make():
    class Local:
        def __init__(self):
            self.v = 1

        def get(self):
            return self.v

    return Local()


make().get()
