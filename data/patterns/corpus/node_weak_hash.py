"""Node rule py.weak-hash: MD5 / SHA-1 through hashlib.

Features: direct constructors, hashlib.new with a name, from-import
renames, usedforsecurity=False, strong algorithms.
"""
import hashlib
from hashlib import md5 as make_md5
from hashlib import sha256


def password_md5(password: bytes):
    # ruleid: py.weak-hash
    return hashlib.md5(password).hexdigest()


def token_sha1(token: bytes):
    # ruleid: py.weak-hash
    return hashlib.sha1(token).hexdigest()


def new_md5(data: bytes):
    # ruleid: py.weak-hash
    h = hashlib.new("md5")
    h.update(data)
    return h.digest()


def new_sha1(data: bytes):
    # ruleid: py.weak-hash
    return hashlib.new("sha1", data).hexdigest()


def renamed_md5(data: bytes):
    # ruleid: py.weak-hash
    return make_md5(data).hexdigest()


def cache_key(data: bytes):
    # ok: py.weak-hash
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def etag(data: bytes):
    # ok: py.weak-hash
    return hashlib.new("sha1", data, usedforsecurity=False).hexdigest()


def password_sha256(password: bytes):
    # ok: py.weak-hash
    return hashlib.sha256(password).hexdigest()


def imported_sha256(data: bytes):
    # ok: py.weak-hash
    return sha256(data).digest()


def new_sha512(data: bytes):
    # ok: py.weak-hash
    return hashlib.new("sha512", data).digest()


def blake(data: bytes):
    # ok: py.weak-hash
    return hashlib.blake2b(data, digest_size=32).hexdigest()
