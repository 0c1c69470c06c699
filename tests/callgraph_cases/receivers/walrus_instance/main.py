class Reader:
    def read(self):
        return "data"


def run():
    if (r := Reader()) is not None:
        return r.read()
    return None


run()
