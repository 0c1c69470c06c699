text = b"abc".decode("ascii")
fields = b"a,b".split(b",")
