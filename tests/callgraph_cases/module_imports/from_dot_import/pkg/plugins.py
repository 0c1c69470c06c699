def load():
    return []


LOADED = load()
