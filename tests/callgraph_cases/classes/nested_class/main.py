class Outer:
    class Inner:
        def m(self):
            return 1


Outer.Inner().m()
