def get():
    import lib

    return lib.value()


get()
get()
