class Commands:
    def do_start(self):
        return "start"

    def do_stop(self):
        return "stop"


def dispatch(obj, name):
    return getattr(obj, "do_" + name)()


dispatch(Commands(), "start")
