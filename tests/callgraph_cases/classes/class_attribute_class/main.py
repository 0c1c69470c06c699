class Dog:
    def __init__(self):
        self.kind = "dog"


class Shelter:
    animal_cls = Dog

    def adopt(self):
        return self.animal_cls()


Shelter().adopt()
