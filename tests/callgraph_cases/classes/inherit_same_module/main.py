class Base:
    def hello(self):
        return "hello"


class Child(Base):
    pass


Child().hello()
