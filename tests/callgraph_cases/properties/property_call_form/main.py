class Temp:
    def __init__(self):
        self._c = 0

    def get_c(self):
        return self._c

    def set_c(self, value):
        self._c = value

    c = property(get_c, set_c)


t = Temp()
t.c = 5
print(t.c)
