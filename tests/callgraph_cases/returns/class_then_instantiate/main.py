class Json:
    def __init__(self):
        self.kind = "json"


class Xml:
    def __init__(self):
        self.kind = "xml"


def parser_for(name):
    if name == "json":
        return Json
    return Xml


parser_for("json")()
parser_for("xml")()
