class Cache:
    def lookup(self, key):
        return key


class Store:
    cache = Cache()

    def get(self, key):
        return self.cache.lookup(key)


Store().get("k")
