class Date:
    def __init__(self, y, m):
        self.y, self.m = y, m

    @classmethod
    def parse(cls, text):
        y, m = text.split("-")
        return cls(int(y), int(m))


Date.parse("2024-05")
