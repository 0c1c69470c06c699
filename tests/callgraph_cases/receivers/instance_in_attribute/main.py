class Engine:
    def start(self):
        return True


class Car:
    def __init__(self):
        self.engine = Engine()


car = Car()
car.engine.start()
