from dataclasses import dataclass


@dataclass
class Range:
    lo: int
    hi: int

    def __post_init__(self):
        self.check()

    def check(self):
        if self.lo > self.hi:
            self.lo, self.hi = self.hi, self.lo


def make():
    return Range(1, 2)


make()
