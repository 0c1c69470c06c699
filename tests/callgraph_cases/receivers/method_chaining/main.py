class Builder:
    def add(self):
        return self

    def build(self):
        return "built"


Builder().add().add().build()
