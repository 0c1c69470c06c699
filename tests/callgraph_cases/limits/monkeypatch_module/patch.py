import lib


def loud():
    return "HI"


lib.greet = loud
