def low():
    return "low"


def high():
    return "high"


def run(callback):
    return callback()


def pick(flag):
    handler = low
    run(handler)
    handler = high
    return handler()


class Quiet:
    def emit(self):
        return "quiet"


class Loud:
    def emit(self):
        return "LOUD"


def report(flag):
    sink = Quiet()
    if flag:
        sink = Loud()
        return sink.emit()
    return "none"


pick(True)
report(True)
