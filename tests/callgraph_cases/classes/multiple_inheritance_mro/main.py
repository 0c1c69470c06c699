class A:
    def m(self):
        return "A"


class B:
    def m(self):
        return "B"

    def only_b(self):
        return "b"


class C(A, B):
    pass


C().m()
C().only_b()
