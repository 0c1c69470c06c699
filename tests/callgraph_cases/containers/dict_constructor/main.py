def start():
    return "go"


handlers = dict(start=start)
handlers["start"]()
