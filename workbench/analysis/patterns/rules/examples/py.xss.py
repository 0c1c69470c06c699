"""Examples for py.xss (CWE-79): untrusted data in an HTML response."""

import html

from django.http import HttpResponse
from flask import Flask, jsonify, make_response, render_template, render_template_string, request
from markupsafe import Markup, escape

app = Flask(__name__)


@app.route("/hello")
def hello():
    name = request.args.get("name", "")
    # ruleid: py.xss
    return "<h1>Hello " + name + "</h1>"


@app.route("/hello-escaped")
def hello_escaped():
    name = request.args.get("name", "")
    # ok: py.xss
    return "<h1>Hello " + html.escape(name) + "</h1>"


@app.route("/greet/<user>")
def greet(user):
    # ruleid: py.xss
    return make_response(f"<p>Welcome back, {user}</p>")


@app.route("/greet-escaped/<user>")
def greet_escaped(user):
    # ok: py.xss
    return make_response(f"<p>Welcome back, {escape(user)}</p>")


@app.route("/profile")
def profile():
    bio = request.form["bio"]
    # ruleid: py.xss
    snippet = Markup("<div class='bio'>" + bio + "</div>")
    return render_template("profile.html", bio=snippet)


@app.route("/search")
def search():
    q = request.args["q"]
    # ok: py.xss
    return render_template_string("<p>Results for {{ q }}</p>", q=q)


@app.route("/api/search")
def api_search():
    q = request.args["q"]
    # ok: py.xss
    return {"query": q, "results": []}


@app.route("/api/echo")
def api_echo():
    # ok: py.xss
    return jsonify(message=request.args.get("m"))


def django_search(request):
    q = request.GET.get("q", "")
    # ruleid: py.xss
    return HttpResponse("<p>Results for " + q + "</p>")


@app.route("/old")
def old():
    name = request.args["name"]
    return "gone"
    # ok: py.xss
    return "<p>" + name + "</p>"
