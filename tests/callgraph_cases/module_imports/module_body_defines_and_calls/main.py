from registry import DEFAULT

print(DEFAULT.items)
