class C:
    def __init__(self):
        self.n = 2

    def m(self):
        return self.n


print(C().m())
