def tag(name):
    return name


class Outer:
    label = tag("outer")

    class Inner:
        label = tag("inner")


print(Outer.Inner.label)
