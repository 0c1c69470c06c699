class Account:
    def __init__(self):
        self._balance = 0

    @property
    def balance(self):
        return self._balance

    @balance.setter
    def balance(self, value):
        self._balance = max(0, value)


def deposit(acc):
    acc.balance = 10


deposit(Account())
