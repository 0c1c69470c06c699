def ordered(d):
    keys = list(d.keys())
    keys.sort()
    return keys


ordered({"b": 1, "a": 2})
