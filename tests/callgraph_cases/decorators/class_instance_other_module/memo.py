class Memoized:
    def __init__(self, func):
        self.func = func
        self.cache = {}

    def __call__(self, key):
        if key not in self.cache:
            self.cache[key] = self.func(key)
        return self.cache[key]

    def clear(self):
        self.cache.clear()
