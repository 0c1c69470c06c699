from memo import Memoized


class Reading:
    def show(self):
        return "reading"


class Label:
    def show(self):
        return "label"


@Memoized
def read(n):
    return Reading()


@Memoized
def name(n):
    return Label()


def use_read():
    return read(3).show()


def use_name():
    return name(4).show()


use_read()
use_name()
read.clear()
