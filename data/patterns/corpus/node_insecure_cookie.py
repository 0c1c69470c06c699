"""Node rule py.insecure-cookie: set_cookie without secure=True.

Flask / Werkzeug and Django responses. Values come from plain parameters.
"""
from django.http import HttpResponse
from flask import make_response


def session_cookie(sid):
    resp = make_response("ok")
    # ruleid: py.insecure-cookie
    resp.set_cookie("sid", sid)
    return resp


def httponly_only(sid):
    resp = make_response("ok")
    # ruleid: py.insecure-cookie
    resp.set_cookie("sid", sid, httponly=True)
    return resp


def secure_false(sid):
    resp = make_response("ok")
    # ruleid: py.insecure-cookie
    resp.set_cookie("sid", sid, secure=False, httponly=True)
    return resp


def multi_line(token):
    resp = make_response("ok")
    # ruleid: py.insecure-cookie
    resp.set_cookie(
        "remember",
        token,
        max_age=30 * 24 * 3600,
        httponly=True,
    )
    return resp


def django_cookie(value):
    response = HttpResponse("ok")
    # ruleid: py.insecure-cookie
    response.set_cookie("prefs", value, max_age=3600)
    return response


def secure_cookie(sid):
    resp = make_response("ok")
    # ok: py.insecure-cookie
    resp.set_cookie("sid", sid, secure=True, httponly=True)
    return resp


def secure_samesite(sid):
    resp = make_response("ok")
    # ok: py.insecure-cookie
    resp.set_cookie("sid", sid, secure=True, httponly=True, samesite="Strict")
    return resp


def secure_multi_line(token):
    resp = make_response("ok")
    # ok: py.insecure-cookie
    resp.set_cookie(
        "remember",
        token,
        max_age=30 * 24 * 3600,
        secure=True,
        httponly=True,
    )
    return resp


def django_secure(value):
    response = HttpResponse("ok")
    # ok: py.insecure-cookie
    response.set_cookie("prefs", value, secure=True, httponly=True, samesite="Lax")
    return response


def clear_cookie():
    resp = make_response("bye")
    # ok: py.insecure-cookie
    resp.set_cookie("sid", "", expires=0, secure=True, httponly=True)
    return resp
