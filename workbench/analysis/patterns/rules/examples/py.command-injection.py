"""Examples for py.command-injection (CWE-78): untrusted data in a shell command."""

import os
import shlex
import subprocess
import sys
from subprocess import check_output

from flask import Flask, request

app = Flask(__name__)
ALLOWED_TOOLS = {"git", "hg", "svn"}


@app.route("/ping")
def ping():
    host = request.args.get("host", "")
    # ruleid: py.command-injection
    os.system("ping -c 1 " + host)
    return "sent"


@app.route("/lookup")
def lookup():
    name = request.form["name"]
    # ruleid: py.command-injection
    check_output(f"nslookup {name}", shell=True)
    return "done"


@app.route("/lookup-quoted")
def lookup_quoted():
    name = request.form["name"]
    # ok: py.command-injection
    subprocess.run("nslookup " + shlex.quote(name), shell=True, check=False)
    return "done"


@app.route("/lookup-list")
def lookup_list():
    name = request.form["name"]
    # ok: py.command-injection
    subprocess.run(["nslookup", name], check=False)
    return "done"


@app.route("/version/<tool>")
def version(tool):
    if tool in ALLOWED_TOOLS:
        # ok: py.command-injection
        os.system(tool + " --version")
    return "done"


def archive(path):
    # ruleid: py.command-injection
    return os.popen("tar czf /tmp/backup.tgz " + path).read()


@app.route("/backup")
def backup():
    archive(request.args["dir"])
    return "queued"


def main():
    # ruleid: py.command-injection
    subprocess.call("grep -r %s ." % sys.argv[1], shell=True)
    # ok: py.command-injection
    os.system("ls -l /var/log")


@app.route("/disabled")
def disabled():
    cmd = request.args["cmd"]
    return "disabled"
    # ok: py.command-injection
    os.system(cmd)
