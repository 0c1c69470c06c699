"""Command injection through subprocess in Flask views.

Features: shell=True with a tainted command string (finding) vs. an argument
list without a shell (no finding for command injection), shlex.quote,
allow-list guards (in-branch and early return), multi-line sink calls.
Every shell=True call is also labelled for the node rule
py.subprocess-shell-true.
"""
import shlex
import subprocess

from flask import Flask, request

app = Flask(__name__)

ALLOWED_TOOLS = {"uptime", "df", "free"}


@app.route("/run")
def run_shell():
    cmd = request.args.get("cmd", "")
    # ruleid: py.command-injection
    # ruleid: py.subprocess-shell-true
    subprocess.run(cmd, shell=True)
    return "done"


@app.post("/grep")
def grep_shell():
    pattern = request.form["pattern"]
    # ruleid: py.command-injection
    # ruleid: py.subprocess-shell-true
    out = subprocess.check_output("grep -n " + pattern + " /srv/app.log", shell=True)
    return str(len(out))


@app.route("/tool/<name>")
def tool_unchecked(name):
    # ruleid: py.command-injection
    # ruleid: py.subprocess-shell-true
    subprocess.Popen(name + " --version", shell=True)
    return "started"


@app.post("/convert")
def convert_upload():
    upload = request.files["img"]
    # ruleid: py.command-injection
    # ruleid: py.subprocess-shell-true
    subprocess.run(
        "convert /srv/in/" + upload.filename + " /srv/out/thumb.png",
        shell=True,
    )
    return "converted"


@app.route("/whois")
def whois_header():
    host = request.headers.get("X-Lookup-Host", "")
    # ruleid: py.command-injection
    # ruleid: py.subprocess-shell-true
    subprocess.call("whois %s" % host, shell=True)
    return "done"


@app.route("/list")
def list_args():
    path = request.args["path"]
    # ok: py.command-injection
    subprocess.run(["ls", "-l", "--", path])
    return "done"


@app.route("/echo")
def echo_no_shell():
    msg = request.args["msg"]
    # ok: py.command-injection
    # ok: py.subprocess-shell-true
    subprocess.check_call(["echo", msg], shell=False)
    return "done"


@app.post("/grep-quoted")
def grep_quoted():
    pattern = request.form["pattern"]
    # ok: py.command-injection
    # ruleid: py.subprocess-shell-true
    subprocess.call("grep -n " + shlex.quote(pattern) + " /srv/app.log", shell=True)
    return "done"


@app.route("/tool-checked/<name>")
def tool_allow_listed(name):
    if name in ALLOWED_TOOLS:
        # ok: py.command-injection
        # ruleid: py.subprocess-shell-true
        subprocess.run(name, shell=True)
    return "done"


@app.route("/tool-early/<name>")
def tool_early_return(name):
    if name not in ALLOWED_TOOLS:
        return "unknown tool", 400
    # ok: py.command-injection
    # ruleid: py.subprocess-shell-true
    subprocess.run(name + " -h", shell=True)
    return "done"


@app.route("/count")
def count_lines():
    limit = int(request.args.get("n", "10"))
    # ok: py.command-injection
    # ruleid: py.subprocess-shell-true
    subprocess.run("tail -n %d /srv/app.log" % limit, shell=True)
    return "done"
