def greet(name):
    s = f"hello {name}"
    return s.title()


greet("bob")
