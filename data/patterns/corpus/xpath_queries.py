"""XPath injection (lxml and ElementTree).

Sinks: tree.xpath(expr), etree.XPath(expr), root.findall(path) with a
tainted expression. Negatives: XPath variables, int(), allow-listed element
names, filtering in Python after a constant query.
"""
import xml.etree.ElementTree as ET

from flask import Flask, request
from lxml import etree

app = Flask(__name__)

USERS = etree.parse("/srv/app/users.xml")
CATALOG = ET.parse("/srv/app/catalog.xml").getroot()
FIELDS = {"name", "email", "phone"}


def query_users(expr):
    # ruleid: py.xpath-injection
    return USERS.xpath(expr)


def query_users_fixed(expr):
    # ok: py.xpath-injection
    return USERS.xpath(expr)


@app.route("/x/user")
def user_by_name():
    name = request.args["name"]
    # ruleid: py.xpath-injection
    found = USERS.xpath("//user[@name='" + name + "']")
    return str(len(found))


@app.post("/x/login")
def login():
    user = request.form["user"]
    pw = request.form["password"]
    # ruleid: py.xpath-injection
    found = USERS.xpath("//user[@name='%s' and @pw='%s']" % (user, pw))
    return "yes" if found else "no"


@app.route("/x/compiled/<uid>")
def compiled(uid):
    # ruleid: py.xpath-injection
    find = etree.XPath("//user[@id='{}']".format(uid))
    return str(len(find(USERS)))


@app.route("/x/books")
def books_by_author():
    author = request.args["author"]
    # ruleid: py.xpath-injection
    books = CATALOG.findall(f".//book[@author='{author}']")
    return str(len(books))


@app.route("/x/helper")
def helper():
    found = query_users("//user[@email='" + request.args["email"] + "']")
    return str(len(found))


@app.route("/x/theme")
def user_by_cookie():
    theme = request.cookies.get("theme", "light")
    root = USERS.getroot()
    # ruleid: py.xpath-injection
    found = root.xpath("//user[@theme='%s']" % theme)
    return str(len(found))


@app.route("/x/filters")
def user_by_filters():
    conditions = ["@%s='%s'" % (k, v) for k, v in request.args.items()]
    expr = "//user[" + " and ".join(conditions) + "]"
    # ruleid: py.xpath-injection
    found = USERS.xpath(expr)
    return str(len(found))


@app.route("/x/title/<title>")
def book_by_title(title):
    path = ".//book[@title='{}']".format(title)
    alias = path
    # ruleid: py.xpath-injection
    books = CATALOG.findall(alias)
    return str(len(books))


@app.route("/x/user-var")
def user_by_name_variable():
    name = request.args["name"]
    # ok: py.xpath-injection
    found = USERS.xpath("//user[@name=$n]", n=name)
    return str(len(found))


@app.route("/x/compiled-var/<uid>")
def compiled_variable(uid):
    # ok: py.xpath-injection
    find = etree.XPath("//user[@id=$id]")
    return str(len(find(USERS, id=uid)))


@app.route("/x/id")
def user_by_number():
    number = int(request.args["id"])
    # ok: py.xpath-injection
    found = USERS.xpath(f"//user[@number={number}]")
    return str(len(found))


@app.route("/x/field")
def field():
    name = request.args["field"]
    if name not in FIELDS:
        return "unknown field", 400
    # ok: py.xpath-injection
    values = USERS.xpath(f"//user/{name}/text()")
    return str(len(values))


@app.route("/x/books-filter")
def books_filtered():
    author = request.args["author"]
    # ok: py.xpath-injection
    books = [b for b in CATALOG.findall(".//book") if b.get("author") == author]
    return str(len(books))


@app.route("/x/helper-fixed")
def helper_fixed():
    _ = request.args.get("email")
    found = query_users_fixed("//user[@active='true']")
    return str(len(found))
