i = [3, 1, 2].index(2)
n = [1, 1, 2].count(1)
