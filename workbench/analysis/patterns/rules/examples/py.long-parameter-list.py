"""Examples for py.long-parameter-list: more than 5 parameters."""


# ruleid: py.long-parameter-list
def connect(host, port, user, password, database, timeout):
    return (host, port, user, password, database, timeout)


# ok: py.long-parameter-list
def connect_url(host, port, user, password, database):
    return (host, port, user, password, database)


# ruleid: py.long-parameter-list
def render(template, *, title, body, footer, lang, theme):
    return (template, title, body, footer, lang, theme)


# ok: py.long-parameter-list
def log(message, *args, **kwargs):
    return (message, args, kwargs)


# ok: py.long-parameter-list
def no_parameters():
    return None
