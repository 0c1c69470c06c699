for key, value in {"a": 1, "b": 2}.items():
    print(key, value, "x".title())
