class Traced:
    def __init__(self, func):
        self.func = func

    def __call__(self, *args):
        print("calling", self.func.__name__)
        return self.func(*args)


class Reader:
    def close(self):
        return "reader closed"


class Writer:
    def close(self):
        return "writer closed"


@Traced
def open_reader(path):
    return Reader()


@Traced
def open_writer(path):
    return Writer()


def read_it():
    return open_reader("a").close()


def write_it():
    return open_writer("b").close()


read_it()
write_it()
