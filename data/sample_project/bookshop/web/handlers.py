"""Request handlers. Several pass user input to dangerous sinks on purpose."""

import os
import subprocess

from .. import admin, storage
from .routes import route
from .templates import render


@route("/search")
def search(request):
    title = request.args["q"]
    rows = storage.find_by_title(request.db, title)  # flows into SQL text
    return 200, render("results.html", query=title, rows=rows)


@route("/export", methods=("POST",))
def export(request):
    target = request.form["target"]
    os.system("tar czf /tmp/export.tgz " + target)  # command injection
    return 200, "exported"


@route("/calc")
def calculator(request):
    return 200, str(admin.evaluate(request.args["expr"]))  # eval of user input


@route("/report")
def report(request):
    name = request.args.get("name", "daily")
    out = subprocess.check_output(["python", "-m", "bookshop.reports", name])  # list: safe
    return 200, out.decode()
