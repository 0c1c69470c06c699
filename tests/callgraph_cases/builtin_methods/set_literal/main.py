u = {1, 2}.union({3})
s = {1}.issubset({1, 2})
