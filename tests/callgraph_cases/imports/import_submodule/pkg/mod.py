def f():
    return "f"
