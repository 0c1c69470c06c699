class Base:
    def describe(self):
        return "base"


class Derived(Base):
    def describe(self):
        return super().describe() + "+derived"


Derived().describe()
