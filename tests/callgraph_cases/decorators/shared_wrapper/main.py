import functools


class Reader:
    def close(self):
        return "reader closed"


class Writer:
    def close(self):
        return "writer closed"


def logged(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        print("calling", func.__name__)
        return func(*args, **kwargs)

    return wrapper


@logged
def open_reader(path):
    return Reader()


@logged
def open_writer(path):
    return Writer()


def read_it():
    return open_reader("a").close()


def write_it():
    return open_writer("b").close()


read_it()
write_it()
