line = "".join([" a", "b "]).strip().lower()
