def default():
    return 0


def build():
    class Local:
        value = default()

    return Local.value


build()
