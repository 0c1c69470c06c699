"""Path traversal in a small socket file server.

Source: socket recv. Features: aliasing, tuple unpacking, chained
assignment, attributes across methods, overwritten variables, a sanitising
helper, non-sanitisers (normpath, replace("../", "")).
"""
import os
import socket

BASE = "/srv/share"


def recv_name(conn):
    return conn.recv(256).decode().strip()


def clean_name(name):
    return os.path.basename(name)


def serve_alias(conn):
    requested = recv_name(conn)
    path = requested
    full = os.path.join(BASE, path)
    # ruleid: py.path-traversal
    with open(full, "rb") as fh:
        conn.sendall(fh.read())


def serve_unpacked(conn):
    verb, name = recv_name(conn).split(" ", 1)
    # ruleid: py.path-traversal
    with open(os.path.join(BASE, name), "rb") as fh:
        conn.sendall(fh.read())


def delete_chained(conn):
    target = last = recv_name(conn)
    # ruleid: py.path-traversal
    os.remove(os.path.join(BASE, last))


def serve_normpath(conn):
    name = recv_name(conn)
    # normpath collapses "a/../../x" to "../x"; it does not confine
    # ruleid: py.path-traversal
    with open(os.path.normpath(os.path.join(BASE, name)), "rb") as fh:
        conn.sendall(fh.read())


def serve_replace(conn):
    name = recv_name(conn).replace("../", "")
    # "....//" becomes "../" after the replacement, and "/etc/passwd" is untouched
    # ruleid: py.path-traversal
    with open(os.path.join(BASE, name), "rb") as fh:
        conn.sendall(fh.read())


def serve_overwritten(conn):
    name = recv_name(conn)
    name = "motd.txt"
    # ok: py.path-traversal
    with open(os.path.join(BASE, name), "rb") as fh:
        conn.sendall(fh.read())


def serve_cleaned(conn):
    name = clean_name(recv_name(conn))
    # ok: py.path-traversal
    with open(os.path.join(BASE, name), "rb") as fh:
        conn.sendall(fh.read())


def serve_unpacked_constant(conn):
    name, mode = "index.html", recv_name(conn)
    # ok: py.path-traversal
    with open(os.path.join(BASE, name), "rb") as fh:
        conn.sendall(fh.read()[: len(mode)])


class FileSession:
    def __init__(self, conn):
        self.conn = conn
        self.root = BASE
        self.current = "index.html"

    def read_request(self):
        self.current = recv_name(self.conn)

    def send_current(self):
        # ruleid: py.path-traversal
        with open(os.path.join(self.root, self.current), "rb") as fh:
            self.conn.sendall(fh.read())

    def send_index(self):
        # ok: py.path-traversal
        with open(os.path.join(self.root, "index.html"), "rb") as fh:
            self.conn.sendall(fh.read())


def main():
    server = socket.create_server(("0.0.0.0", 7070))
    while True:
        conn, _addr = server.accept()
        handler = FileSession(conn)
        handler.read_request()
        handler.send_current()
        handler.send_index()
        conn.close()
