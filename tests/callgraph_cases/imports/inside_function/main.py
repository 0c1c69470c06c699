def lazy():
    import lib

    return lib.compute()


lazy()
