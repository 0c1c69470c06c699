class Conn:
    def __init__(self, host):
        self.host = host

    def open(self):
        return self.host

    def close(self):
        return None


def connect(host):
    return Conn(host)


c = connect("a")
c.open()
connect("b").close()
