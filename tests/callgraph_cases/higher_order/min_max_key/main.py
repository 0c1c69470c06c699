def first(pair):
    return pair[0]


def second(pair):
    return pair[1]


pairs = [(1, 5), (2, 3)]
max(pairs, key=first)
min(pairs, key=second)
