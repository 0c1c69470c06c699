from deco import traced


@traced
def work():
    return 1


work()
