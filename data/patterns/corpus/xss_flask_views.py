"""Cross-site scripting in Flask views.

Sinks: the return value of a route function, make_response,
render_template_string, Markup. Sanitizers: markupsafe.escape, html.escape;
render_template (autoescaped). Hard negatives: Markup's own % operator
escapes its arguments; dicts and jsonify() are sent as JSON; redirect()
escapes the URL in its body.
"""
import html

from flask import (
    Blueprint,
    Flask,
    jsonify,
    make_response,
    redirect,
    render_template,
    render_template_string,
    request,
    url_for,
)
from markupsafe import Markup, escape

app = Flask(__name__)
bp = Blueprint("pages", __name__)


def render_row(value):
    return "<tr><td>" + value + "</td></tr>"


def wrap_div(value):
    return "<div>" + value + "</div>"


def render_page(value):
    return "<html><body>" + wrap_div(value) + "</body></html>"


def render_row_escaped(value):
    return "<tr><td>" + html.escape(value) + "</td></tr>"


@app.route("/hello/<name>")
def hello(name):
    # ruleid: py.xss
    return "<h1>Hello " + name + "</h1>"


@app.route("/search")
def search():
    q = request.args.get("q", "")
    # ruleid: py.xss
    return f"<p>Results for {q}</p>"


@app.post("/profile")
def profile():
    bio = request.form["bio"]
    # ruleid: py.xss
    return make_response("<div class='bio'>{}</div>".format(bio))


@app.route("/preview")
def preview_template():
    tpl = request.args["tpl"]
    # ruleid: py.xss
    return render_template_string(tpl)


@app.route("/nick")
def nick_markup():
    # ruleid: py.xss
    return Markup("<b>" + request.cookies.get("nick", "") + "</b>")


@bp.route("/comment", methods=["POST"])
def comment():
    body = request.get_json()["body"]
    # ruleid: py.xss
    return "<li>" + body + "</li>"


@app.route("/agent")
def agent():
    ua = request.headers["User-Agent"]
    # ruleid: py.xss
    return "<pre>%s</pre>" % ua


@app.route("/row")
def row():
    # ruleid: py.xss
    return render_row(request.args["v"])


@app.post("/raw")
def raw_body():
    # ruleid: py.xss
    return request.data.decode("utf-8")


@app.route("/page/<title>")
def page(title):
    # ruleid: py.xss
    return render_page(title)


@app.route("/title")
def title_from_dict():
    ctx = {"title": request.args.get("t", ""), "lang": "en"}
    # ruleid: py.xss
    return "<title>%(title)s</title>" % ctx


@app.route("/hello-escaped/<name>")
def hello_escaped(name):
    # ok: py.xss
    return "<h1>Hello " + escape(name) + "</h1>"


@app.route("/search-escaped")
def search_escaped():
    q = request.args.get("q", "")
    # ok: py.xss
    return "<p>Results for %s</p>" % html.escape(q)


@app.route("/template")
def template():
    # ok: py.xss
    return render_template("search.html", q=request.args["q"])


@app.route("/preview-var")
def preview_variable():
    # ok: py.xss
    return render_template_string("<p>{{ q }}</p>", q=request.args["q"])


@app.route("/nick-format")
def nick_markup_format():
    nick = request.cookies.get("nick", "")
    # Markup.__mod__ escapes its operands
    # ok: py.xss
    return Markup("<b>%s</b>") % nick


@app.route("/api/user")
def api_user():
    # ok: py.xss
    return jsonify(name=request.args["name"])


@app.route("/api/echo")
def api_echo():
    # a dict return value is serialised as application/json
    # ok: py.xss
    return {"echo": request.args["msg"]}


@app.get("/count")
def count():
    q = request.args["q"]
    # ok: py.xss
    return "<p>%d characters</p>" % len(q)


@app.route("/row-escaped")
def row_escaped():
    # ok: py.xss
    return render_row_escaped(request.args["v"])


@app.route("/next")
def next_page():
    # ok: py.xss
    # ok: py.open-redirect
    return redirect(url_for("hello", name=request.args["n"]))


@app.route("/away")
def away():
    # ok: py.xss
    # ruleid: py.open-redirect
    return redirect(request.args["to"])
