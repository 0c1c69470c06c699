"""SQL injection: query strings built from request data.

Features: concatenation, % formatting, .format, f-strings, join over a
generator, executemany / executescript, sqlalchemy.text; parameterised
queries (qmark and pyformat placeholders), int(), allow-listed identifiers,
placeholder lists built from len().
"""
import sqlite3

from flask import Flask, request
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine("sqlite:////srv/app.db")

ORDER_COLUMNS = {"name", "created", "price"}


def get_conn():
    return sqlite3.connect("/srv/app.db")


@app.route("/user")
def user_by_name():
    name = request.args["name"]
    cur = get_conn().cursor()
    # ruleid: py.sql-injection
    cur.execute("SELECT * FROM users WHERE name = '" + name + "'")
    return "done"


@app.route("/item/<item_id>")
def item_percent(item_id):
    cur = get_conn().cursor()
    # % formatting is not parameterisation
    # ruleid: py.sql-injection
    cur.execute("SELECT * FROM items WHERE id = %s" % (item_id,))
    return "done"


@app.route("/by-email")
def by_email_format():
    email = request.values.get("email", "")
    conn = get_conn()
    query = "SELECT id FROM users WHERE email = '{}'".format(email)
    # ruleid: py.sql-injection
    conn.execute(query)
    return "done"


@app.route("/tags")
def tags_join():
    tags = request.args.getlist("tag")
    where = " OR ".join("tag = '%s'" % t for t in tags)
    # ruleid: py.sql-injection
    get_conn().execute("SELECT * FROM posts WHERE " + where)
    return "done"


@app.post("/import")
def import_rows():
    table = request.form["table"]
    rows = [(1, "a"), (2, "b")]
    cur = get_conn().cursor()
    # ruleid: py.sql-injection
    cur.executemany(f"INSERT INTO {table} VALUES (?, ?)", rows)
    return "done"


@app.post("/migrate")
def migrate_script():
    script = request.get_data(as_text=True)
    # ruleid: py.sql-injection
    get_conn().executescript(script)
    return "done"


@app.route("/orm-search")
def orm_search():
    term = request.args["q"]
    with engine.connect() as conn:
        # ruleid: py.sql-injection
        conn.execute(text(f"SELECT * FROM docs WHERE title LIKE '%{term}%'"))
    return "done"


@app.route("/user-safe")
def user_by_name_param():
    name = request.args["name"]
    cur = get_conn().cursor()
    # ok: py.sql-injection
    cur.execute("SELECT * FROM users WHERE name = ?", (name,))
    return "done"


@app.route("/item-safe/<item_id>")
def item_pyformat_param(item_id):
    cur = get_conn().cursor()
    # the driver binds the tuple; the query text is constant
    # ok: py.sql-injection
    cur.execute("SELECT * FROM items WHERE id = %s", (item_id,))
    return "done"


@app.post("/import-safe")
def import_rows_param():
    rows = [(request.form["id"], request.form["label"])]
    cur = get_conn().cursor()
    # ok: py.sql-injection
    cur.executemany("INSERT INTO labels VALUES (?, ?)", rows)
    return "done"


@app.route("/orm-search-safe")
def orm_search_bound():
    term = request.args["q"]
    with engine.connect() as conn:
        # ok: py.sql-injection
        conn.execute(text("SELECT * FROM docs WHERE title LIKE :t"), {"t": "%" + term + "%"})
    return "done"


@app.route("/page")
def page_int():
    limit = int(request.args.get("limit", "20"))
    # ok: py.sql-injection
    get_conn().execute("SELECT * FROM posts LIMIT %d" % limit)
    return "done"


@app.route("/sorted")
def sorted_allow_listed():
    column = request.args.get("order", "name")
    if column not in ORDER_COLUMNS:
        column = "name"
    # ok: py.sql-injection
    get_conn().execute(f"SELECT * FROM items ORDER BY {column}")
    return "done"


@app.route("/many")
def many_ids():
    ids = request.args.getlist("id")
    placeholders = ",".join("?" * len(ids))
    # only the number of ids shapes the query text
    # ok: py.sql-injection
    get_conn().execute(f"SELECT * FROM items WHERE id IN ({placeholders})", ids)
    return "done"
