import pkg.mod

pkg.mod.f()
