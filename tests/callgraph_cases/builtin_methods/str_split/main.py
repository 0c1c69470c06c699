def parts():
    return "a b c".split(), "x".upper()


parts()
