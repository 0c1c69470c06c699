"""Examples for py.open-redirect (CWE-601): untrusted data chooses a redirect target."""

from urllib.parse import urlparse

from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from flask import Flask, redirect, request, url_for

app = Flask(__name__)
ALLOWED_HOSTS = {"example.com", "www.example.com"}


@app.route("/login")
def login():
    target = request.args.get("next", "/")
    # ruleid: py.open-redirect
    return redirect(target)


@app.route("/logout")
def logout():
    # ok: py.open-redirect
    return redirect(url_for("index", msg=request.args.get("msg")))


@app.route("/go")
def go():
    target = request.args["to"]
    if urlparse(target).netloc in ALLOWED_HOSTS:
        # ok: py.open-redirect
        return redirect(target)
    return "not allowed", 400


@app.route("/search")
def search():
    # ok: py.open-redirect
    return redirect("/results?q=" + request.args["q"])


@app.route("/away")
def away():
    # ruleid: py.open-redirect
    return redirect("/" + request.args["path"])


def back_to(url):
    # ruleid: py.open-redirect
    return redirect(url)


@app.route("/back")
def back():
    return back_to(request.referrer)


def django_login(request):
    nxt = request.GET.get("next", "/")
    if url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        # ok: py.open-redirect
        return HttpResponseRedirect(nxt)
    # ruleid: py.open-redirect
    return HttpResponseRedirect(request.POST["next"])


@app.route("/old-login")
def old_login():
    target = request.args["next"]
    return "gone"
    # ok: py.open-redirect
    return redirect(target)
