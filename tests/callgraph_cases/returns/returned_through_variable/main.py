def work():
    return "w"


def provide():
    return work


def execute(fn):
    return fn()


job = provide()
execute(job)
