"""Taint carried by exceptions.

Features: raise E(tainted) caught as `except E as e` and read through
str(e), e.args[0] or a custom attribute; exceptions raised in callees (two
levels); a library KeyError carrying a tainted key; constant messages; a
custom exception that keeps the tainted value only in an attribute (str(e)
is constant); taint assigned in try and used in finally.
"""
import os
import pickle
import shlex
import sqlite3

from flask import Flask, request

app = Flask(__name__)
conn = sqlite3.connect("/srv/app.db")
PRICES = {"apple": 3, "pear": 4}


class CommandError(Exception):
    def __init__(self, command):
        super().__init__("rejected command")
        self.command = command


def validate(cmd):
    if ";" in cmd:
        raise ValueError(cmd)
    return cmd


def lookup_level2(expr):
    raise LookupError(expr)


def lookup_level1(expr):
    lookup_level2(expr)


def message_in_str():
    try:
        raise ValueError(input())
    except ValueError as e:
        # ruleid: py.command-injection
        os.system("echo " + str(e))


def message_from_callee():
    try:
        validate(input())
    except ValueError as e:
        # ruleid: py.command-injection
        os.system(e.args[0])


def custom_attribute():
    try:
        raise CommandError(input())
    except CommandError as e:
        # ruleid: py.command-injection
        os.system(e.command)


def custom_message_only():
    try:
        raise CommandError(input())
    except CommandError as e:
        # CommandError passes only a constant to Exception.__init__
        # ok: py.command-injection
        os.system("logger " + str(e))


def constant_message():
    data = input()
    try:
        if not data.isdigit():
            raise ValueError("not a number")
    except ValueError as e:
        # ok: py.command-injection
        os.system("logger " + str(e))


def quoted_message():
    try:
        raise ValueError(shlex.quote(input()))
    except ValueError as e:
        # ok: py.command-injection
        os.system("echo " + str(e))


def assigned_in_try_used_in_finally():
    cmd = "true"
    try:
        cmd = input()
    finally:
        # ruleid: py.command-injection
        os.system(cmd)


@app.route("/calc")
def calc():
    try:
        lookup_level1(request.args["expr"])
    except LookupError as e:
        # ruleid: py.code-injection
        eval(e.args[0])
    return "done"


@app.route("/calc-constant")
def calc_constant():
    try:
        lookup_level1("1 + 1")
    except LookupError as e:
        # ok: py.code-injection
        eval(e.args[0])
    return "done"


@app.post("/blob")
def blob():
    try:
        raise RuntimeError(request.get_data())
    except RuntimeError as e:
        # ruleid: py.unsafe-deserialization
        pickle.loads(e.args[0])
    return "done"


@app.route("/price")
def price():
    fruit = request.args["fruit"]
    try:
        # the looked-up value comes from a constant dict
        # ok: py.xss
        return str(PRICES[fruit])
    except KeyError as e:
        # the KeyError raised by the lookup carries the tainted key
        # ruleid: py.sql-injection
        conn.execute("INSERT INTO misses (name) VALUES ('%s')" % e.args[0])
    return "unknown"


@app.route("/price-logged")
def price_logged():
    fruit = request.args["fruit"]
    try:
        return str(PRICES[fruit])
    except KeyError:
        # ok: py.sql-injection
        conn.execute("INSERT INTO misses (name) VALUES (?)", (fruit,))
    return "unknown"
