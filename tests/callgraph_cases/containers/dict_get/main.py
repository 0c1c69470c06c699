def fallback():
    return None


def found():
    return 1


table = {"x": found}
table.get("x", fallback)()
table.get("y", fallback)()
