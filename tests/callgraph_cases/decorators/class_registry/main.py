class Email:
    def send(self):
        return "email sent"


class Sms:
    def send(self):
        return "sms sent"


class Handler:
    registered = []

    def __init__(self, make):
        self.make = make
        self.registered.append(self)

    def __call__(self):
        return self.make()


@Handler
def email():
    return Email()


def sms():
    return Sms()


def register_sms():
    Handler(sms)


register_sms()


def notify_all():
    for handler in Handler.registered:
        handler().send()


notify_all()
