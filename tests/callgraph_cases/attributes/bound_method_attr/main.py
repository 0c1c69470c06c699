class Job:
    def setup(self):
        self.step = self.compute

    def compute(self):
        return 7

    def go(self):
        return self.step()


j = Job()
j.setup()
j.go()
