class Printer:
    def emit(self, text):
        return text


def report(data, *, out):
    return out.emit(str(data))


report(5, out=Printer())
