from dataclasses import dataclass


@dataclass
class Base:
    name: str

    def __post_init__(self):
        self.name = self.name.strip()


@dataclass
class Child(Base):
    age: int = 0


Child(" x ", 3)
