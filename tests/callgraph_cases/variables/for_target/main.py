def ping():
    return "ping"


def pong():
    return "pong"


for fn in (ping, pong):
    fn()
