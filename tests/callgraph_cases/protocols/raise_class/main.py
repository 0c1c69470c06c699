class Abort(Exception):
    def __init__(self):
        self.code = 1


def work():
    raise Abort


def run():
    try:
        work()
    except Abort:
        return "aborted"
    return "done"


run()
