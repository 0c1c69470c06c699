"""Open redirect in Flask views.

Sink: flask.redirect(tainted). Sanitizers: url_for, allow-list membership,
a relative-URL guard on urlparse (no scheme, no netloc, a leading "/",
no backslash).
Hard negative: a fixed path prefix keeps the redirect on this host.
Hard positive: a scheme+host prefix without a "/" still lets the value
extend the host name ("example.com.evil.net", "example.com@evil.net").
"""
from urllib.parse import urlparse

from flask import Flask, redirect, request, url_for

app = Flask(__name__)

SAFE_TARGETS = {"/", "/account", "/orders"}


def next_url():
    return request.args.get("next") or "/"


@app.route("/login/done")
def login_done():
    target = request.args["next"]
    # ruleid: py.open-redirect
    return redirect(target)


@app.route("/logout")
def logout():
    # ruleid: py.open-redirect
    return redirect(next_url())


@app.route("/return")
def return_cookie():
    # ruleid: py.open-redirect
    return redirect(request.cookies.get("return_to", "/"))


@app.post("/continue")
def continue_form():
    dest = request.form.get("dest", "/")
    # ruleid: py.open-redirect
    return redirect(dest, code=303)


@app.route("/partner")
def partner():
    suffix = request.args.get("p", "")
    # ruleid: py.open-redirect
    return redirect("https://example.com" + suffix)


@app.route("/go/<path:target>")
def go(target):
    # ruleid: py.open-redirect
    return redirect(target)


@app.route("/home")
def home():
    _next = request.args.get("next")
    # ok: py.open-redirect
    return redirect(url_for("login_done"))


@app.route("/checked")
def checked():
    target = request.args.get("next", "/")
    if target in SAFE_TARGETS:
        # ok: py.open-redirect
        return redirect(target)
    return redirect("/")


@app.route("/relative")
def relative_only():
    target = request.args.get("next", "/")
    parts = urlparse(target)
    if parts.netloc or parts.scheme or not target.startswith("/") or "\\" in target:
        return redirect("/")
    # ok: py.open-redirect
    return redirect(target)


@app.route("/users/<name>")
def user_page(name):
    # the default converter excludes "/", so this stays a path on this host
    # ok: py.open-redirect
    return redirect("/profiles/" + name)


@app.route("/orders/<int:order_id>")
def order(order_id):
    # ok: py.open-redirect
    return redirect(url_for("order_detail", order_id=order_id))
