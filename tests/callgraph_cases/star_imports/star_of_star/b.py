def deep():
    return "b"
