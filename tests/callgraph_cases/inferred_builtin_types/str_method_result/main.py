s = "x".upper()
s.join(["a", "b"])
