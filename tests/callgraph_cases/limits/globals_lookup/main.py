def handler_a():
    return "a"


def run(key):
    return globals()["handler_" + key]()


run("a")
