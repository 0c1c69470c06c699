def f():
    return 1


x = y = f
x()
y()
