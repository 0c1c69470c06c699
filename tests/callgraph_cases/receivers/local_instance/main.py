class C:
    def m(self):
        return 1


def run():
    a = C()
    return a.m()


run()
