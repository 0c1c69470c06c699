class Report:
    def render(self):
        return self.header() + self.body()

    def header(self):
        return "H"

    def body(self):
        return ""


class Sales(Report):
    def body(self):
        return "sales"


Sales().render()
