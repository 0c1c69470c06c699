class C:
    def m(self):
        return 1


obj = C()
C.m(obj)
