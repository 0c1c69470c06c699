def stub():
    return "stub"


def disabled(fn):
    return stub


@disabled
def feature():
    return "feature"


feature()
