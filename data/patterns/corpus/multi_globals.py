"""Module-level and global flows.

Features: a module-level source read by a function, a `global` written in a
view and read elsewhere, a global dict with one tainted and one constant
key, a module-level overwrite, a sink at module level under __main__.
"""
import os
import sqlite3
import sys

from flask import Flask, request

app = Flask(__name__)
conn = sqlite3.connect("/srv/app.db")

TARGET_HOST = os.environ.get("TARGET_HOST", "localhost")
DEFAULT_HOST = "localhost"
LAST_QUERY = ""
LAST_SORT = "id"
CONFIG = {"safe": "uptime"}

MODE = sys.argv[1] if len(sys.argv) > 1 else "fast"
MODE = "fast"


def ping_target():
    # ruleid: py.command-injection
    os.system("ping -c 1 " + TARGET_HOST)


def ping_default():
    # ok: py.command-injection
    os.system("ping -c 1 " + DEFAULT_HOST)


@app.route("/remember")
def remember():
    global LAST_QUERY
    LAST_QUERY = request.args["q"]
    return "ok"


def replay():
    # ruleid: py.sql-injection
    conn.execute("SELECT * FROM docs WHERE title = '" + LAST_QUERY + "'")


def replay_sort():
    # LAST_SORT is never assigned anything but the constant
    # ok: py.sql-injection
    conn.execute("SELECT * FROM docs ORDER BY " + LAST_SORT)


def load_config():
    CONFIG["cmd"] = input("command: ")


def run_configured():
    # ruleid: py.command-injection
    os.system(CONFIG["cmd"])


def run_safe_configured():
    # ok: py.command-injection
    os.system(CONFIG["safe"])


def run_mode():
    # MODE was rebound to a constant at import time
    # ok: py.command-injection
    os.system("runner --mode " + MODE)


if __name__ == "__main__":
    load_config()
    run_configured()
    run_safe_configured()
    # ruleid: py.command-injection
    os.system("dig " + sys.argv[-1])
