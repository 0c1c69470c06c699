def secret():
    return 42


def run():
    return eval("secret()")


run()
