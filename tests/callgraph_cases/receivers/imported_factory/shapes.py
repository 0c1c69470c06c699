class Box:
    def __init__(self, w):
        self.w = w

    def volume(self):
        return self.w**3


def make_box(w):
    return Box(w)
