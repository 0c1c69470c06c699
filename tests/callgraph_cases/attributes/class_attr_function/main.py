def shout(text):
    return text.upper()


class Formatter:
    handler = shout


Formatter.handler("x")
