class Door:
    def open(self):
        return "open"


def action(door):
    return door.open


action(Door())()
