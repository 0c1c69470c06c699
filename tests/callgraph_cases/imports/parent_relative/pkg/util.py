def f():
    return "util"
