"""SQL injection through object state.

Features: self.x set in one method and read in another, object attributes
o.f vs. o.g, two instances of one class (object sensitivity), dataclass
fields, a method returning a query built from an attribute.
"""
import sqlite3
from dataclasses import dataclass


class UserRepo:
    def __init__(self, conn):
        self.conn = conn
        self.table = "users"
        self.filter = "1 = 1"

    def set_filter(self, text):
        self.filter = text

    def search(self):
        cur = self.conn.cursor()
        # ruleid: py.sql-injection
        cur.execute("SELECT * FROM %s WHERE %s" % (self.table, self.filter))

    def count(self):
        # ok: py.sql-injection
        self.conn.execute("SELECT COUNT(*) FROM " + self.table)


def use_repo():
    repo = UserRepo(sqlite3.connect("/srv/app.db"))
    repo.set_filter(input("filter: "))
    repo.search()
    repo.count()


class NameQuery:
    def __init__(self, name):
        self.name = name

    def sql(self):
        return "SELECT * FROM users WHERE name = '" + self.name + "'"


def name_query_tainted():
    cur = sqlite3.connect("/srv/app.db").cursor()
    q = NameQuery(input("name: "))
    # ruleid: py.sql-injection
    cur.execute(q.sql())


def name_query_constant():
    cur = sqlite3.connect("/srv/app.db").cursor()
    other = NameQuery(input("name: "))
    admin = NameQuery("admin")
    # only the second instance is used here
    # ok: py.sql-injection
    cur.execute(admin.sql())
    return other


class Box:
    pass


def box_fields():
    conn = sqlite3.connect("/srv/app.db")
    b = Box()
    b.tainted = input("value: ")
    b.clean = "id"
    # ok: py.sql-injection
    conn.execute("SELECT " + b.clean + " FROM items")
    # ruleid: py.sql-injection
    conn.execute("SELECT * FROM items WHERE label = '" + b.tainted + "'")


@dataclass
class Filter:
    column: str
    value: str


def dataclass_bound():
    conn = sqlite3.connect("/srv/app.db")
    f = Filter("name", input("value: "))
    # ok: py.sql-injection
    conn.execute(f"SELECT * FROM users WHERE {f.column} = ?", (f.value,))


def dataclass_inlined():
    conn = sqlite3.connect("/srv/app.db")
    f = Filter("name", input("value: "))
    # ruleid: py.sql-injection
    conn.execute(f"SELECT * FROM users WHERE {f.column} = '{f.value}'")
