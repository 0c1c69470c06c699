def by_length(s):
    return len(s)


sorted(["ccc", "a", "bb"], key=by_length)
