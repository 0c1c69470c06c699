def red():
    return "r"


def green():
    return "g"


colors = {"r": red, "g": green}
for paint in colors.values():
    paint()
