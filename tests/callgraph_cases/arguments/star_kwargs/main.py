def on_start():
    return "start"


def on_stop():
    return "stop"


def dispatch(event, **handlers):
    return handlers[event]()


dispatch("start", start=on_start, stop=on_stop)
dispatch("stop", start=on_start, stop=on_stop)
