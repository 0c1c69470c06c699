"""Examples for py.trust-boundary (CWE-501): request data stored in the session."""

import re

from flask import Flask, request, session

app = Flask(__name__)
LANGUAGES = ("en", "fr", "de")


@app.route("/login", methods=["POST"])
def login():
    user = request.form["user"]
    # ruleid: py.trust-boundary
    session["user"] = user
    return "ok"


@app.route("/lang")
def lang():
    choice = request.args.get("lang", "en")
    if choice in LANGUAGES:
        # ok: py.trust-boundary
        session["lang"] = choice
    return "ok"


@app.route("/page")
def page():
    # ok: py.trust-boundary
    session["page"] = int(request.args.get("page", "1"))
    return "ok"


@app.route("/visit")
def visit():
    # ok: py.trust-boundary
    session["visited"] = True
    return "ok"


@app.route("/nick")
def nick():
    name = request.args["nick"]
    if re.fullmatch(r"[A-Za-z0-9_]{3,20}", name):
        # ok: py.trust-boundary
        session["nick"] = name
    return "ok"


@app.route("/prefs", methods=["POST"])
def prefs():
    # ruleid: py.trust-boundary
    session["theme"] = request.get_json().get("theme")
    return "ok"


def django_cart(request):
    item = request.POST["item"]
    # ruleid: py.trust-boundary
    request.session["last_item"] = item


@app.route("/legacy")
def legacy():
    role = request.args["role"]
    return "gone"
    # ok: py.trust-boundary
    session["role"] = role
