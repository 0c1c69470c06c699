class Handlers:
    def mark(fn):
        fn.marked = True
        return fn

    @mark
    def on_event(self):
        return "event"


Handlers().on_event()
