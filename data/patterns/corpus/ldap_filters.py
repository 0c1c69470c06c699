"""LDAP injection (python-ldap).

Sinks: the filter argument of search_s / search / search_ext_s (positional
or filterstr=). Sanitizers: escape_filter_chars, filter_format (escapes its
arguments), allow-list guard, int(). A tainted attribute list is not a
filter.
"""
import ldap
from flask import Flask, request
from ldap.filter import escape_filter_chars, filter_format

app = Flask(__name__)

BASE_DN = "ou=people,dc=example,dc=org"
GROUPS = {"staff", "students", "alumni"}


def connect():
    return ldap.initialize("ldap://ldap.example.org")


def uid_filter(uid):
    return "(uid=" + uid + ")"


def uid_filter_escaped(uid):
    return "(uid=" + escape_filter_chars(uid) + ")"


@app.route("/ldap/user")
def find_user():
    user = request.args["user"]
    conn = connect()
    # ruleid: py.ldap-injection
    conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, "(uid=" + user + ")")
    return "done"


@app.route("/ldap/mail")
def find_mail():
    mail = request.args["mail"]
    # ruleid: py.ldap-injection
    connect().search_s(BASE_DN, ldap.SCOPE_SUBTREE, "(mail=%s)" % mail, ["cn"])
    return "done"


@app.route("/ldap/cn/<cn>")
def find_cn(cn):
    conn = connect()
    # ruleid: py.ldap-injection
    conn.search_ext_s(BASE_DN, ldap.SCOPE_SUBTREE, f"(&(objectClass=person)(cn={cn}))")
    return "done"


@app.route("/ldap/keyword")
def find_keyword():
    dept = request.args["dept"]
    conn = connect()
    # ruleid: py.ldap-injection
    conn.search_s(BASE_DN, ldap.SCOPE_ONELEVEL, filterstr="(ou={})".format(dept))
    return "done"


@app.route("/ldap/async")
def find_async():
    conn = connect()
    # ruleid: py.ldap-injection
    msgid = conn.search(BASE_DN, ldap.SCOPE_SUBTREE, uid_filter(request.args["u"]))
    conn.result(msgid)
    return "done"


@app.post("/ldap/login")
def login():
    name = request.form["username"]
    filt = "(&(uid=" + name + ")(memberOf=cn=users,ou=groups,dc=example,dc=org))"
    conn = connect()
    # ruleid: py.ldap-injection
    conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, filt)
    return "done"


class Lookup:
    def __init__(self, attribute, value):
        self.filter = "(%s=%s)" % (attribute, value)

    def run(self, conn):
        # ruleid: py.ldap-injection
        return conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, self.filter)


@app.route("/ldap/phone")
def find_phone():
    Lookup("telephoneNumber", request.args["phone"]).run(connect())
    return "done"


@app.route("/ldap/any")
def find_any():
    criteria = {"uid": request.args["uid"], "objectClass": "person"}
    parts = ["(%s=%s)" % (k, v) for k, v in criteria.items()]
    # ruleid: py.ldap-injection
    connect().search_s(BASE_DN, ldap.SCOPE_SUBTREE, "(&" + "".join(parts) + ")")
    return "done"


@app.route("/ldap/user-safe")
def find_user_escaped():
    user = request.args["user"]
    conn = connect()
    # ok: py.ldap-injection
    conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, "(uid=" + escape_filter_chars(user) + ")")
    return "done"


@app.route("/ldap/mail-safe")
def find_mail_filter_format():
    mail = request.args["mail"]
    # ok: py.ldap-injection
    connect().search_s(BASE_DN, ldap.SCOPE_SUBTREE, filter_format("(mail=%s)", [mail]))
    return "done"


@app.route("/ldap/async-safe")
def find_async_escaped():
    conn = connect()
    # ok: py.ldap-injection
    msgid = conn.search(BASE_DN, ldap.SCOPE_SUBTREE, uid_filter_escaped(request.args["u"]))
    conn.result(msgid)
    return "done"


@app.route("/ldap/group/<group>")
def find_group(group):
    if group not in GROUPS:
        return "unknown group", 404
    # ok: py.ldap-injection
    connect().search_s(BASE_DN, ldap.SCOPE_SUBTREE, "(ou=%s)" % group)
    return "done"


@app.route("/ldap/number")
def find_number():
    number = int(request.args["n"])
    # ok: py.ldap-injection
    connect().search_s(BASE_DN, ldap.SCOPE_SUBTREE, "(uidNumber=%d)" % number)
    return "done"


@app.route("/ldap/attrs")
def list_attribute():
    attr = request.args["attr"]
    # the filter is constant; attr only selects which attributes come back
    # ok: py.ldap-injection
    connect().search_s(BASE_DN, ldap.SCOPE_SUBTREE, "(objectClass=person)", [attr])
    return "done"
