def helper():
    return 1


handler = helper
