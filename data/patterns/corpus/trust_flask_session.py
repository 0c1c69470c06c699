"""Trust boundary violation: request data stored in the Flask session.

Sink: a subscript store into flask.session (reported at the assignment).
Negatives: server-generated values, constants, a local dict that shadows
the imported name, an unrelated module-level cache.
"""
import secrets
import time

import flask
from flask import Flask, request, session

app = Flask(__name__)
cache = {}


def remember(key, value):
    # ruleid: py.trust-boundary
    session[key] = value


def remember_server_value(key, value):
    # ok: py.trust-boundary
    session[key] = value


@app.route("/login-as")
def login_as():
    # ruleid: py.trust-boundary
    session["user"] = request.args["user"]
    return "saved"


@app.route("/theme")
def theme():
    choice = request.cookies.get("theme", "light")
    # ruleid: py.trust-boundary
    session["theme"] = choice
    return "saved"


@app.post("/cart")
def cart():
    item = request.form["item"]
    # ruleid: py.trust-boundary
    session["cart"] = [item]
    return "saved"


@app.route("/color/<color>")
def color(color):
    # ruleid: py.trust-boundary
    flask.session["color"] = color
    return "saved"


@app.post("/profile")
def profile():
    data = request.get_json()
    remember("display_name", data["name"])
    return "saved"


@app.post("/role")
def role():
    role_name = request.headers.get("X-Role", "viewer")
    # ruleid: py.trust-boundary
    session["role"] = role_name.lower()
    return "saved"


@app.route("/csrf")
def csrf():
    # ok: py.trust-boundary
    session["csrf"] = secrets.token_hex(16)
    return "ok"


@app.route("/visit")
def visit():
    _ref = request.args.get("ref")
    # ok: py.trust-boundary
    session["visits"] = session.get("visits", 0) + 1
    return "ok"


@app.route("/stamp")
def stamp():
    remember_server_value("last_seen", time.time())
    return "ok"


@app.route("/keep")
def keep_logged_in():
    # ok: py.trust-boundary
    session.permanent = True
    return "ok"


@app.route("/local")
def local_dict():
    session = {}
    # this session is a local dict, not flask.session
    # ok: py.trust-boundary
    session["user"] = request.args["user"]
    return str(len(session))


@app.route("/cache")
def cache_only():
    # ok: py.trust-boundary
    cache["user"] = request.args["user"]
    return "ok"
