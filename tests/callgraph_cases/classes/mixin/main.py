class LogMixin:
    def log(self, msg):
        return msg


class Base:
    def run(self):
        return self.log("run")


class Service(LogMixin, Base):
    pass


Service().run()
