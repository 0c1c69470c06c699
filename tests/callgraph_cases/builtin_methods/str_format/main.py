def label(n):
    prefix = "x".replace("x", "it")
    if "item".startswith(prefix):
        return "{}-{}".format("item", n)
    return prefix


label(1)
