class Dog:
    def speak(self):
        return "woof"


def talk(animal):
    return animal.speak()


talk(Dog())
