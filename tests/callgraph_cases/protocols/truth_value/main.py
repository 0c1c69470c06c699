class Flag:
    def __init__(self, on):
        self.on = on

    def __bool__(self):
        return self.on


def state(flag):
    if flag:
        return "on"
    return "off"


state(Flag(True))
