groups = {}
for word in ["apple", "avocado", "bean"]:
    groups.setdefault(word[0], []).append(word)
