"""Authentication helpers, with a weak hash and module-level state."""

import hashlib
import hmac

SESSIONS = {}


def hash_password(password, salt):
    return hashlib.md5((salt + password).encode()).hexdigest()  # weak hash


def check_password(password, salt, expected):
    return hmac.compare_digest(hash_password(password, salt), expected)


def login(user, password, users):
    global SESSIONS
    record = users.get(user)
    if record is None or not check_password(password, record["salt"], record["hash"]):
        return None
    token = hashlib.sha256(f"{user}:{len(SESSIONS)}".encode()).hexdigest()
    SESSIONS[token] = user
    return token
