class Account:
    def __init__(self):
        self.balance = 0

    def deposit(self):
        self.balance += 10


def repeat(fn, times):
    for _ in range(times):
        fn()


acc = Account()
repeat(acc.deposit, 2)
