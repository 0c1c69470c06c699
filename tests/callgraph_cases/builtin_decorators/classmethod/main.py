class Counter:
    count = 0

    @classmethod
    def increment(cls):
        cls.count += 1
        return cls.count


class Sub(Counter):
    pass


Counter.increment()
Sub.increment()
