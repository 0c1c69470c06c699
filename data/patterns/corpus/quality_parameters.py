"""Quality rule py.long-parameter-list: more than 5 parameters.

Methods are chosen so that the verdict is the same whether or not `self` is
counted.
"""


# ruleid: py.long-parameter-list
def create_user(name, email, password, role, team, locale):
    return [name, email, password, role, team, locale]


# ruleid: py.long-parameter-list
def draw_box(x, y, width, height, color, border, shadow, label):
    return [x, y, width, height, color, border, shadow, label]


# ruleid: py.long-parameter-list
def connect(host, port, *, user, password, timeout, retries, tls):
    return [host, port, user, password, timeout, retries, tls]


class Mailer:
    # ruleid: py.long-parameter-list
    def send(self, sender, to, cc, bcc, subject, body):
        return [sender, to, cc, bcc, subject, body]

    # ok: py.long-parameter-list
    def reply(self, to, subject, body, quote):
        return [to, subject, body, quote]


# ok: py.long-parameter-list
def move(x, y, dx, dy, speed):
    return [x + dx * speed, y + dy * speed]


# ok: py.long-parameter-list
def log(message, *args, **kwargs):
    return [message, args, kwargs]


# ok: py.long-parameter-list
def now():
    return 0
