def up(s):
    return s.upper()


def low(s):
    return s.lower()


def apply_all(text):
    return {name: fn(text) for name, fn in {"up": up, "low": low}.items()}


apply_all("Ab")
