class Base:
    def m(self):
        return "base"


class Sub(Base):
    def m(self):
        return "sub"


def run(obj):
    return obj.m()


run(Base())
run(Sub())
