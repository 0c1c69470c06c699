print(", ".join(["a", "b"]))
