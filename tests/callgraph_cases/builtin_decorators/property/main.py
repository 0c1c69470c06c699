class User:
    def __init__(self, first, last):
        self.first, self.last = first, last

    @property
    def full(self):
        return self.first + " " + self.last


def show(user):
    return user.full.upper()


show(User("a", "b"))
