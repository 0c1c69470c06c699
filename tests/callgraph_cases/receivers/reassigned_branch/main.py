class A:
    def m(self):
        return "a"


class B:
    def m(self):
        return "b"


def run(flag):
    if flag:
        obj = A()
    else:
        obj = B()
    return obj.m()


run(True)
run(False)
