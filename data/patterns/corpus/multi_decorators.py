"""Flows through decorated functions.

Features: a pass-through wrapper (*args, **kwargs), functools.lru_cache, a
wrapper that quotes its argument before the call, a wrapper that injects a
request value as an argument, a wrapper that never calls the wrapped
function, a stacked login decorator under @app.route (view arguments stay
sources).
"""
import functools
import os
import shlex
import sqlite3

from flask import Flask, request

app = Flask(__name__)
conn = sqlite3.connect("/srv/app.db")


def passthrough(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


def quoting(fn):
    @functools.wraps(fn)
    def wrapper(arg):
        return fn(shlex.quote(arg))

    return wrapper


def with_user(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(request.args["user"], *args, **kwargs)

    return wrapper


def disabled(fn):
    def wrapper(*args, **kwargs):
        return "true"

    return wrapper


def login_required(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if "sid" not in request.cookies:
            return "login first", 401
        return fn(*args, **kwargs)

    return wrapper


@passthrough
def build_cmd(name):
    return "finger " + name


@passthrough
def fixed_cmd(name):
    return "uptime"


@functools.lru_cache(maxsize=32)
def lookup_cmd(host):
    return "host " + host


@quoting
def list_quoted(arg):
    # ok: py.command-injection
    os.system("ls -l " + arg)


@passthrough
def list_raw(arg):
    # ruleid: py.command-injection
    os.system("ls -l " + arg)


@with_user
def greet_user(user):
    # ruleid: py.command-injection
    os.system("echo hello " + user)


@disabled
def dangerous(arg):
    return "rm -rf /srv/" + arg


def case_passthrough():
    # ruleid: py.command-injection
    os.system(build_cmd(input()))


def case_passthrough_constant():
    # ok: py.command-injection
    os.system(fixed_cmd(input()))


def case_lru_cache():
    # ruleid: py.command-injection
    os.system(lookup_cmd(input()))


def case_quoting_wrapper():
    list_quoted(input())


def case_raw_wrapper():
    list_raw(input())


def case_injected_argument():
    greet_user()


def case_disabled():
    # the wrapper returns "true" and never runs dangerous()
    # ok: py.command-injection
    os.system(dangerous(input()))


@app.route("/report/<name>")
@login_required
def report(name):
    # ruleid: py.sql-injection
    conn.execute("SELECT * FROM reports WHERE name = '%s'" % name)
    return "done"


@app.route("/report-safe/<name>")
@login_required
def report_safe(name):
    # ok: py.sql-injection
    conn.execute("SELECT * FROM reports WHERE name = ?", (name,))
    return "done"
