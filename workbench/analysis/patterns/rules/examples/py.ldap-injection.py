"""Examples for py.ldap-injection (CWE-90): untrusted data in LDAP filters and DNs."""

import re

import ldap
from flask import Flask, request
from ldap.filter import escape_filter_chars
from ldap3 import Connection, Server
from ldap3.utils.conv import escape_filter_chars as escape3

app = Flask(__name__)
BASE = "ou=people,dc=example,dc=com"
conn = ldap.initialize("ldap://ldap.example.com")
USERNAME = re.compile(r"[a-z]+")


@app.route("/lookup")
def lookup():
    user = request.args["user"]
    # ruleid: py.ldap-injection
    conn.search_s(BASE, ldap.SCOPE_SUBTREE, "(uid=" + user + ")")
    return "ok"


@app.route("/lookup-escaped")
def lookup_escaped():
    user = request.args["user"]
    # ok: py.ldap-injection
    conn.search_s(BASE, ldap.SCOPE_SUBTREE, "(uid=%s)" % escape_filter_chars(user))
    return "ok"


@app.route("/member")
def member():
    group = request.args["group"]
    # ruleid: py.ldap-injection
    conn.search_s(f"cn={group},ou=groups,dc=example,dc=com", ldap.SCOPE_BASE)
    return "ok"


@app.route("/v3/lookup")
def v3_lookup():
    user = request.args["user"]
    c = Connection(Server("ldap.example.com"), auto_bind=True)
    # ruleid: py.ldap-injection
    c.search("dc=example,dc=com", f"(&(objectClass=person)(cn={user}))", attributes=["mail"])
    return "ok"


@app.route("/v3/lookup-escaped")
def v3_lookup_escaped():
    user = request.args["user"]
    c = Connection(Server("ldap.example.com"), auto_bind=True)
    # ok: py.ldap-injection
    c.search("dc=example,dc=com", f"(cn={escape3(user)})", attributes=["mail"])
    return "ok"


@app.route("/check-name")
def check_name():
    user = request.args["user"]
    # ok: py.ldap-injection
    found = USERNAME.search(user)
    return "yes" if found else "no"


@app.route("/lookup-old")
def lookup_old():
    user = request.args["user"]
    return "disabled"
    # ok: py.ldap-injection
    conn.search_s(BASE, ldap.SCOPE_SUBTREE, "(uid=" + user + ")")
