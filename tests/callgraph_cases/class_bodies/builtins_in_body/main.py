class Keys:
    ALL = sorted(["b", "a"])
    COUNT = len(ALL)
