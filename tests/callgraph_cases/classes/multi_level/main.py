class A:
    def who(self):
        return "A"

    def name(self):
        return "a"


class B(A):
    def who(self):
        return "B"


class C(B):
    pass


c = C()
c.who()
c.name()
