class Tx:
    def __init__(self):
        self.open = False

    def __enter__(self):
        self.open = True
        return self

    def __exit__(self, *exc):
        self.open = False


def transfer():
    with Tx() as tx:
        return tx.open


transfer()
