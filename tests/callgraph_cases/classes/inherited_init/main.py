class Base:
    def __init__(self, x):
        self.x = x


class Child(Base):
    def get(self):
        return self.x


Child(3).get()
