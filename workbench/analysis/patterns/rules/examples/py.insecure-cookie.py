"""Examples for py.insecure-cookie (CWE-614, CWE-1004): cookies without Secure/HttpOnly."""

from django.http import HttpResponse
from flask import Flask, current_app, make_response

app = Flask(__name__)


@app.route("/login")
def login():
    resp = make_response("welcome")
    # ruleid: py.insecure-cookie
    resp.set_cookie("session", "abc123")
    return resp


@app.route("/login-secure")
def login_secure():
    resp = make_response("welcome")
    # ok: py.insecure-cookie
    resp.set_cookie("session", "abc123", secure=True, httponly=True, samesite="Lax")
    return resp


@app.route("/login-http")
def login_http():
    resp = make_response("welcome")
    # ruleid: py.insecure-cookie
    resp.set_cookie("session", "abc123", secure=False, httponly=True)
    return resp


@app.route("/login-script")
def login_script():
    resp = make_response("welcome")
    # ruleid: py.insecure-cookie
    resp.set_cookie("session", "abc123", secure=True)
    return resp


@app.route("/login-config")
def login_config():
    resp = make_response("welcome")
    # ok: py.insecure-cookie
    resp.set_cookie(
        "session",
        "abc123",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
    )
    return resp


def django_view(request):
    response = HttpResponse("ok")
    # ruleid: py.insecure-cookie
    response.set_signed_cookie("cart", "42", httponly=True)
    # ok: py.insecure-cookie
    response.set_cookie("theme", "dark", secure=True, httponly=True)
    return response
