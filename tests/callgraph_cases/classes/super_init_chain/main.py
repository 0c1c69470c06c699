class Base:
    def __init__(self):
        self.ready = True


class Mid(Base):
    def __init__(self):
        super().__init__()
        self.mid = True


class Leaf(Mid):
    def __init__(self):
        super().__init__()
        self.leaf = True


Leaf()
