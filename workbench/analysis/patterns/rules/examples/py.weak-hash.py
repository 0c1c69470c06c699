"""Examples for py.weak-hash (CWE-327, CWE-328): MD4, MD5 and SHA-1."""

import hashlib

from Crypto.Hash import MD5
from cryptography.hazmat.primitives import hashes


def password_digest(password: bytes) -> str:
    # ruleid: py.weak-hash
    return hashlib.md5(password).hexdigest()


def signature(data: bytes) -> bytes:
    # ruleid: py.weak-hash
    return hashlib.sha1(data).digest()


def by_name(data: bytes) -> str:
    # ruleid: py.weak-hash
    h = hashlib.new("MD5")
    h.update(data)
    return h.hexdigest()


def cache_key(data: bytes) -> str:
    # ok: py.weak-hash
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def strong(data: bytes) -> str:
    # ok: py.weak-hash
    return hashlib.sha256(data).hexdigest()


def strong_by_name(data: bytes) -> str:
    # ok: py.weak-hash
    return hashlib.new("sha3_256", data).hexdigest()


def pycryptodome(data: bytes) -> str:
    # ruleid: py.weak-hash
    return MD5.new(data).hexdigest()


def cryptography_sha1(data: bytes) -> bytes:
    # ruleid: py.weak-hash
    digest = hashes.Hash(hashes.SHA1())
    digest.update(data)
    return digest.finalize()
