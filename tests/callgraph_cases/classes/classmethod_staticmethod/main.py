class Temperature:
    @classmethod
    def unit(cls):
        return "C"

    @staticmethod
    def convert(c):
        return c * 9 / 5 + 32


Temperature.unit()
Temperature.convert(10)
t = Temperature()
t.unit()
t.convert(0)
