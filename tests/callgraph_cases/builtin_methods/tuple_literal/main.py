c = (1, 2, 1).count(1)
i = ("a", "b").index("b")
