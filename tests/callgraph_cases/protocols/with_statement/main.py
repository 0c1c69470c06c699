class Resource:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        return False

    def use(self):
        return "used"


with Resource() as r:
    r.use()
