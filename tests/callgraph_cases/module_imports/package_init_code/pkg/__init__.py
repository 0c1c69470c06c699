def setup():
    return "ready"


STATE = setup()
