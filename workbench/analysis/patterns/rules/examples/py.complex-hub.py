"""Examples for py.complex-hub: complex functions with the highest PageRank."""


# ruleid: py.complex-hub
def normalise(value):
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, float):
        value = f"{value:.2f}"
    if isinstance(value, list):
        value = ",".join(map(str, value))
    if isinstance(value, dict):
        value = ",".join(sorted(value))
    if value.startswith(" "):
        value = value.lstrip()
    if value.endswith(" "):
        value = value.rstrip()
    if value.isupper():
        value = value.lower()
    if not value:
        return ""
    return value


# ok: py.complex-hub
def rarely_used(kind):
    if kind == 1:
        return "a"
    if kind == 2:
        return "b"
    if kind == 3:
        return "c"
    if kind == 4:
        return "d"
    if kind == 5:
        return "e"
    if kind == 6:
        return "f"
    if kind == 7:
        return "g"
    if kind == 8:
        return "h"
    if kind == 9:
        return "i"
    if kind == 10:
        return "j"
    return "z"


# ok: py.complex-hub
def name_field(record):
    return normalise(record.get("name"))


# ok: py.complex-hub
def email_field(record):
    return normalise(record.get("email"))


def city_field(record):
    return normalise(record.get("city"))


def country_field(record):
    return normalise(record.get("country"))


def phone_field(record):
    return normalise(record.get("phone"))


def title_field(record):
    return normalise(record.get("title"))


def company_field(record):
    return normalise(record.get("company"))


def note_field(record):
    return normalise(record.get("note"))


def tag_field(record):
    return normalise(record.get("tag"))


def street_field(record):
    return normalise(record.get("street"))


def zip_field(record):
    return normalise(record.get("zip"))


def state_field(record):
    return normalise(record.get("state"))


def fax_field(record):
    return normalise(record.get("fax"))


def web_field(record):
    return normalise(record.get("web"))


def nick_field(record):
    return normalise(record.get("nick"))


def role_field(record):
    return normalise(record.get("role"))


def team_field(record):
    return normalise(record.get("team"))


def dept_field(record):
    return normalise(record.get("dept"))
