"""Examples for py.insecure-random (CWE-330): random used for security values."""

import random
import secrets
import string

ALPHABET = string.ascii_letters + string.digits
COLOURS = ["red", "green", "blue"]


def one_time_code():
    # ruleid: py.insecure-random
    otp = random.randint(100000, 999999)
    return otp


def reset_link(user):
    # ruleid: py.insecure-random
    reset_token = "".join(random.choices(ALPHABET, k=32))
    return f"/reset/{user}/{reset_token}"


def new_session(store):
    # ruleid: py.insecure-random
    store["session_id"] = random.getrandbits(128)


class Client:
    def __init__(self):
        # ruleid: py.insecure-random
        self.api_key = random.random()


def retry_delay():
    # ok: py.insecure-random
    delay = random.uniform(0.1, 0.5)
    return delay


def pick_colour():
    # ok: py.insecure-random
    colour = random.choice(COLOURS)
    return colour


def secure_token():
    # ok: py.insecure-random
    token = secrets.token_urlsafe(32)
    return token


def sample_rows(rows):
    # ok: py.insecure-random
    sample = random.sample(rows, 10)
    return sample
