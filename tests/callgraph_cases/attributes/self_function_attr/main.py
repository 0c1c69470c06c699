def greet():
    return "hi"


class Greeter:
    def __init__(self):
        self.action = greet

    def run(self):
        return self.action()


Greeter().run()
