class Logger:
    def log(self, msg):
        return msg


class App:
    def __init__(self):
        self.logger = Logger()

    def start(self):
        self.logger.log("start")


App().start()
