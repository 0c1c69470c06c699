"""Examples for py.code-injection (CWE-94): untrusted data evaluated as code or template."""

import ast
import sys

import jinja2
from flask import Flask, render_template_string, request

app = Flask(__name__)
OPERATORS = {"+", "-", "*"}


@app.route("/calc")
def calc():
    expr = request.args["expr"]
    # ruleid: py.code-injection
    result = eval(expr)
    return str(result)


@app.route("/calc-literal")
def calc_literal():
    expr = request.args["expr"]
    # ok: py.code-injection
    result = ast.literal_eval(expr)
    return str(result)


@app.route("/op/<op>")
def apply_op(op):
    if op in OPERATORS:
        # ok: py.code-injection
        return str(eval("6 " + op + " 3"))
    return "unknown operator", 400


@app.route("/square")
def square():
    n = int(request.args["n"])
    # ok: py.code-injection
    return str(eval(f"{n} ** 2"))


@app.route("/hook", methods=["POST"])
def hook():
    source = request.get_json()["code"]
    # ruleid: py.code-injection
    code = compile(source, "<hook>", "exec")
    return str(code.co_name)


@app.route("/greeting")
def greeting():
    name = request.args["name"]
    # ruleid: py.code-injection
    return jinja2.Template("Hello " + name + "!").render()


@app.route("/greeting-safe")
def greeting_safe():
    # ok: py.code-injection
    return render_template_string("Hello {{ name }}!", name=request.args["name"])


def run_script():
    # ruleid: py.code-injection
    exec(sys.stdin.read())


@app.route("/old-calc")
def old_calc():
    expr = request.args["expr"]
    return "disabled"
    # ok: py.code-injection
    eval(expr)
