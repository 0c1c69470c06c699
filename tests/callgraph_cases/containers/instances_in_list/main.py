class Cat:
    def sound(self):
        return "meow"


class Cow:
    def sound(self):
        return "moo"


animals = [Cat(), Cow()]
for animal in animals:
    animal.sound()
