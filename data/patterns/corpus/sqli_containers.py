"""SQL injection through containers.

Features: list / tuple / dict / set literals, list.append, d[k] = v,
dict.get, list and dict comprehensions, iteration over a set, len() of a
container, field-sensitive dicts and index-sensitive lists (hard negatives).
"""
import sqlite3

from flask import Flask, request

app = Flask(__name__)
conn = sqlite3.connect("/srv/app.db")


@app.route("/c/list")
def list_literal():
    filters = [request.args["owner"]]
    # ruleid: py.sql-injection
    conn.execute("SELECT * FROM files WHERE owner = '%s'" % filters[0])
    return "done"


@app.route("/c/dict-get")
def dict_get():
    params = {"name": request.args.get("name"), "order": "id"}
    # ruleid: py.sql-injection
    conn.execute("SELECT * FROM users WHERE name = '" + params.get("name") + "'")
    return "done"


@app.route("/c/dict-store")
def dict_store():
    clause = {}
    clause["where"] = request.args["where"]
    # ruleid: py.sql-injection
    conn.execute("SELECT * FROM logs WHERE " + clause["where"])
    return "done"


@app.route("/c/comprehension")
def list_comprehension():
    names = request.args.getlist("n")
    clauses = ["name = '%s'" % n for n in names]
    # ruleid: py.sql-injection
    conn.execute("SELECT * FROM users WHERE " + " OR ".join(clauses))
    return "done"


@app.route("/c/set")
def set_iteration():
    columns = {request.args["col"], "id"}
    for col in columns:
        # ruleid: py.sql-injection
        conn.execute(f"SELECT {col} FROM items")
    return "done"


@app.route("/c/append")
def append_parts():
    parts = ["SELECT * FROM docs WHERE 1 = 1"]
    parts.append("AND owner = '" + request.cookies["user"] + "'")
    # ruleid: py.sql-injection
    conn.execute(" ".join(parts))
    return "done"


@app.route("/c/dict-comprehension")
def dict_comprehension():
    fields = {k: v for k, v in request.args.items()}
    # ruleid: py.sql-injection
    conn.execute("DELETE FROM carts WHERE id = " + fields["cart"])
    return "done"


@app.route("/c/tuple-index")
def tuple_index():
    pair = ("users", request.args["id"])
    # ruleid: py.sql-injection
    conn.execute("SELECT * FROM %s WHERE id = %s" % pair)
    return "done"


@app.route("/c/tuple-params")
def tuple_params():
    row = (request.form["title"], 1)
    # ok: py.sql-injection
    conn.execute("INSERT INTO notes (title, owner) VALUES (?, ?)", row)
    return "done"


@app.route("/c/len")
def container_len():
    items = request.args.getlist("item")
    # ok: py.sql-injection
    conn.execute("SELECT * FROM stock LIMIT %d" % len(items))
    return "done"


@app.route("/c/dict-other-key")
def dict_other_key():
    params = {"name": request.args.get("name"), "order": "id"}
    # the "order" entry is a constant
    # ok: py.sql-injection
    conn.execute("SELECT * FROM users ORDER BY " + params["order"])
    return "done"


@app.route("/c/list-other-index")
def list_other_index():
    values = ["id", request.args["v"]]
    # values[0] is the constant "id"
    # ok: py.sql-injection
    conn.execute("SELECT " + values[0] + " FROM items")
    return "done"


@app.route("/c/dict-params")
def dict_params():
    bind = {"n": request.args["name"]}
    # ok: py.sql-injection
    conn.execute("SELECT * FROM users WHERE name = :n", bind)
    return "done"
