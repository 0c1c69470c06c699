"""Node rule py.insecure-random: the random module producing secrets.

Positives: a random.* value that becomes a token, password, secret, key,
nonce, salt, OTP or session id (assigned, returned from such a function,
stored into such a key or attribute). Negatives: secrets.*,
random.SystemRandom (a CSPRNG), random values used for games, sampling,
shuffling and back-off.
"""
import random
import secrets
import string

ALPHABET = string.ascii_letters + string.digits


def send_otp(phone):
    # ruleid: py.insecure-random
    otp = random.randint(100000, 999999)
    return phone, otp


def new_session():
    # ruleid: py.insecure-random
    session_id = random.getrandbits(128)
    return session_id


def generate_password():
    # ruleid: py.insecure-random
    password = "".join(random.choices(ALPHABET, k=12))
    return password


def make_nonce():
    # ruleid: py.insecure-random
    return random.randrange(2**32)


def reset_link(user):
    # ruleid: py.insecure-random
    user["reset_token"] = random.random()
    return user


def new_salt():
    # ruleid: py.insecure-random
    salt = "".join(random.choice(ALPHABET) for _ in range(16))
    return salt


class ApiClient:
    def __init__(self):
        # ruleid: py.insecure-random
        self.api_key = random.getrandbits(64)


def secure_salt():
    # ok: py.insecure-random
    salt = secrets.token_bytes(16)
    return salt


def secure_token():
    # ok: py.insecure-random
    token = secrets.token_urlsafe(32)
    return token


def system_random_otp():
    # SystemRandom draws from os.urandom
    # ok: py.insecure-random
    otp = random.SystemRandom().randint(100000, 999999)
    return otp


def deal(deck):
    random.shuffle(deck)
    # ok: py.insecure-random
    card = random.choice(deck)
    return card


def roll_dice():
    # ok: py.insecure-random
    dice = random.randint(1, 6)
    return dice


def backoff(attempt):
    # ok: py.insecure-random
    delay_ms = random.randrange(100, 200) * attempt
    return delay_ms


def pick_test_rows(rows):
    # ok: py.insecure-random
    subset = random.choices(rows, k=10)
    return subset
