"""Flows through lambdas.

Features: a sink inside a lambda body, a lambda that builds the command, a
lambda that ignores its argument, a closure over a tainted local, a default
argument, a quoting lambda, map() with a lambda, lambdas in a dispatch dict.
"""
import os
import shlex
import sqlite3

from flask import Flask, request

app = Flask(__name__)
conn = sqlite3.connect("/srv/app.db")

# ruleid: py.command-injection
run = lambda c: os.system(c)
# ok: py.command-injection
run_constant = lambda c: os.system(c)
build = lambda h: "ping -c 1 " + h
ignore = lambda h: "uptime"
quote = lambda s: shlex.quote(s)

OPS = {
    # ruleid: py.code-injection
    "calc": lambda expr: eval(expr),
    "upper": lambda s: s.upper(),
}


def case_sink_in_lambda():
    run("nslookup " + input())


def case_sink_in_lambda_constant():
    run_constant("uptime")


def case_builder():
    # ruleid: py.command-injection
    os.system(build(input()))


def case_ignoring_lambda():
    # ok: py.command-injection
    os.system(ignore(input()))


def case_closure():
    host = input()
    make = lambda: "traceroute " + host
    # ruleid: py.command-injection
    os.system(make())


def case_default_argument():
    _unused = input()
    make = lambda host="localhost": "traceroute " + host
    # ok: py.command-injection
    os.system(make())


def case_quoting_lambda():
    # ok: py.command-injection
    os.system("cat " + quote(input()))


@app.route("/l/names")
def names():
    cleaned = map(lambda n: n.strip(), request.args.getlist("n"))
    # ruleid: py.sql-injection
    conn.execute("SELECT * FROM users WHERE name IN ('%s')" % "','".join(cleaned))
    return "done"


@app.route("/l/count")
def count_names():
    sizes = map(lambda n: len(n), request.args.getlist("n"))
    # ok: py.sql-injection
    conn.execute("SELECT * FROM users LIMIT %d" % sum(sizes))
    return "done"


@app.route("/l/op")
def op():
    result = OPS[request.args.get("op", "upper")](request.args["arg"])
    return str(len(result))
