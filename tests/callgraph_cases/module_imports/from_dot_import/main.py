import pkg

print(pkg.plugins.LOADED)
