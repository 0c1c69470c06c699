"""Node rule py.weak-cipher: broken ciphers and ECB mode.

PyCryptodome (Crypto.Cipher) and pyca/cryptography. Each construction is
written on one line so that the matched node's line is unambiguous.
"""
from Crypto.Cipher import AES, ARC4, DES, Blowfish
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def des_cbc(key, iv):
    # ruleid: py.weak-cipher
    return DES.new(key, DES.MODE_CBC, iv)


def rc4(key):
    # ruleid: py.weak-cipher
    return ARC4.new(key)


def blowfish(key):
    # ruleid: py.weak-cipher
    return Blowfish.new(key, Blowfish.MODE_CBC)


def aes_ecb(key):
    # ruleid: py.weak-cipher
    return AES.new(key, AES.MODE_ECB)


def triple_des(key, iv):
    # ruleid: py.weak-cipher
    return Cipher(algorithms.TripleDES(key), modes.CBC(iv))


def cryptography_ecb(key):
    # ruleid: py.weak-cipher
    return Cipher(algorithms.AES(key), modes.ECB())


def cryptography_rc4(key):
    # ruleid: py.weak-cipher
    return Cipher(algorithms.ARC4(key), mode=None)


def aes_gcm(key):
    # ok: py.weak-cipher
    return AES.new(key, AES.MODE_GCM)


def aes_cbc(key, iv):
    # ok: py.weak-cipher
    return AES.new(key, AES.MODE_CBC, iv=iv)


def cryptography_gcm(key, iv):
    # ok: py.weak-cipher
    return Cipher(algorithms.AES(key), modes.GCM(iv))


def cryptography_ctr(key, nonce):
    # ok: py.weak-cipher
    return Cipher(algorithms.AES(key), modes.CTR(nonce))


def chacha(key, nonce):
    # ok: py.weak-cipher
    return Cipher(algorithms.ChaCha20(key, nonce), mode=None)
