class Leaf:
    def value(self):
        return 42


class Middle:
    def __init__(self):
        self.leaf = Leaf()


class Root:
    def __init__(self):
        self.middle = Middle()


root = Root()
root.middle.leaf.value()
