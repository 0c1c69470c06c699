import a


def fb():
    return a.fa()
