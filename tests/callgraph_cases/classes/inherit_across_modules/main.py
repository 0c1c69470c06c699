from base import Animal


class Dog(Animal):
    def bark(self):
        return "woof"


d = Dog("rex")
d.describe()
d.bark()
