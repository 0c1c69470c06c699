class MathUtil:
    @staticmethod
    def clamp(x):
        return min(max(x, 0), 10)

    def safe(self, x):
        return self.clamp(x)


MathUtil().safe(20)
