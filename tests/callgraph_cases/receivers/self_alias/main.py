class C:
    def helper(self):
        return 3

    def run(self):
        a = self
        return a.helper()


C().run()
