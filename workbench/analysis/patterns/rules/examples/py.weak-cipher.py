"""Examples for py.weak-cipher (CWE-327): weak ciphers and ECB mode."""

from Crypto.Cipher import AES, ARC4, DES
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def des_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    # ruleid: py.weak-cipher
    return DES.new(key, DES.MODE_CBC, iv).encrypt(data)


def aes_ecb(key: bytes, data: bytes) -> bytes:
    # ruleid: py.weak-cipher
    return AES.new(key, AES.MODE_ECB).encrypt(data)


def aes_gcm(key: bytes, data: bytes):
    # ok: py.weak-cipher
    return AES.new(key, AES.MODE_GCM).encrypt_and_digest(data)


def rc4(key: bytes, data: bytes) -> bytes:
    # ruleid: py.weak-cipher
    return ARC4.new(key).encrypt(data)


def triple_des(key: bytes, iv: bytes):
    # ruleid: py.weak-cipher
    return Cipher(algorithms.TripleDES(key), modes.CBC(iv)).encryptor()


def cryptography_ecb(key: bytes):
    # ruleid: py.weak-cipher
    return Cipher(algorithms.AES(key), modes.ECB()).encryptor()


def cryptography_gcm(key: bytes, nonce: bytes):
    # ok: py.weak-cipher
    return Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()


def fernet(key: bytes, data: bytes) -> bytes:
    # ok: py.weak-cipher
    return Fernet(key).encrypt(data)
