import a
import b

b.fb()
