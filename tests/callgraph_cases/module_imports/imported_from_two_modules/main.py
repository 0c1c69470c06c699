import a
import lib

print(a.A + lib.VALUE)
