"""Examples for py.sql-injection (CWE-89): untrusted data built into SQL text."""

import sqlite3

import sqlalchemy
from flask import Flask, request
from myapp.models import User

app = Flask(__name__)
db = sqlite3.connect("app.db")
SORTABLE = ("name", "email", "created")


@app.route("/user")
def user():
    uid = request.args["id"]
    cur = db.cursor()
    # ruleid: py.sql-injection
    cur.execute("SELECT name FROM users WHERE id = " + uid)
    return "ok"


@app.route("/user-param")
def user_param():
    uid = request.args["id"]
    cur = db.cursor()
    # ok: py.sql-injection
    cur.execute("SELECT name FROM users WHERE id = ?", (uid,))
    return "ok"


@app.route("/user-int")
def user_int():
    uid = int(request.args["id"])
    # ok: py.sql-injection
    db.execute(f"SELECT name FROM users WHERE id = {uid}")
    return "ok"


@app.route("/users")
def users():
    order = request.args.get("order", "name")
    if order not in SORTABLE:
        return "bad order", 400
    # ok: py.sql-injection
    db.execute("SELECT name FROM users ORDER BY %s" % order)
    return "ok"


@app.route("/find")
def find():
    name = request.args.get("name", "")
    query = "SELECT id FROM users WHERE name = '%s'" % name
    with sqlalchemy.create_engine("sqlite://").connect() as conn:
        # ruleid: py.sql-injection
        conn.execute(sqlalchemy.text(query))
    return "ok"


def count_by_domain(domain):
    # ruleid: py.sql-injection
    return db.execute("SELECT count(*) FROM users WHERE email LIKE '%@" + domain + "'")


@app.route("/domain")
def domain():
    count_by_domain(request.args["d"])
    return "ok"


def django_search(request):
    term = request.GET["term"]
    # ruleid: py.sql-injection
    return list(User.objects.raw("SELECT * FROM auth_user WHERE username = '" + term + "'"))


@app.route("/legacy")
def legacy():
    uid = request.args["id"]
    return "gone"
    # ok: py.sql-injection
    db.executescript("DELETE FROM users WHERE id = " + uid)
