def lookup(key):
    return {"a": 1, "b": 2}.get(key, 0)


lookup("a")
keys = {"x": 1}.keys()
