import pkg.mod as m

m.f()
