"""Code injection: eval / exec / compile.

Sources: input(), Flask request, socket recv, sys.stdin, os.environ. Sanitizers:
ast.literal_eval instead of eval, int(), allow-listed operators. Restricted
globals do not make eval safe.
"""
import ast
import os
import socket
import sys

from flask import Flask, request

app = Flask(__name__)

OPERATORS = {"+", "-", "*"}


def calculate(expr):
    # ruleid: py.code-injection
    return eval(expr)


def calculate_fixed(expr):
    # ok: py.code-injection
    return eval(expr)


def repl():
    line = input(">>> ")
    # ruleid: py.code-injection
    print(eval(line))


@app.post("/run-snippet")
def run_snippet():
    code = request.form["code"]
    # ruleid: py.code-injection
    exec(code)
    return "ran"


@app.post("/compile")
def compile_snippet():
    src = request.get_json()["source"]
    # ruleid: py.code-injection
    obj = compile(src, "<user>", "exec")
    return "compiled" if obj else "empty"


@app.route("/calc")
def calc_restricted():
    expr = request.args["e"]
    # empty __builtins__ can be escaped through object introspection
    # ruleid: py.code-injection
    value = eval(expr, {"__builtins__": {}}, {})
    return "evaluated"


def assign_from_stdin():
    expr = sys.stdin.read()
    # ruleid: py.code-injection
    exec("result = " + expr, {})


def network_eval(conn: socket.socket):
    data = conn.recv(1024).decode()
    value = calculate(data)
    conn.sendall(str(value).encode())


@app.post("/run-compiled")
def run_compiled():
    src = request.values["src"]
    # ruleid: py.code-injection
    exec(compile(src, "<snippet>", "exec"))
    return "ran"


def plugin_hook():
    hook = os.environ.get("APP_STARTUP_HOOK", "")
    # ruleid: py.code-injection
    exec(hook)


def literal_only():
    line = input("value: ")
    # ok: py.code-injection
    value = ast.literal_eval(line)
    return value


@app.route("/sum")
def sum_ints():
    a = int(request.args["a"])
    b = int(request.args["b"])
    # ok: py.code-injection
    value = eval(f"{a} + {b}")
    return str(value)


@app.route("/op")
def apply_operator():
    op = request.args["op"]
    a = int(request.args["a"])
    b = int(request.args["b"])
    if op in OPERATORS:
        # ok: py.code-injection
        value = eval(f"{a} {op} {b}")
        return str(value)
    return "bad operator", 400


def constant_expression():
    _ = input("press enter")
    # ok: py.code-injection
    return eval("2 ** 10")


def constant_through_helper():
    _ = input("press enter")
    return calculate_fixed("sum(range(10))")
