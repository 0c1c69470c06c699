import lib

print(lib.__name__)
