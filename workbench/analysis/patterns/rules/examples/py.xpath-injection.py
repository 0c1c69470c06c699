"""Examples for py.xpath-injection (CWE-643): untrusted data in XPath expressions."""

import re
import xml.etree.ElementTree as ET

from flask import Flask, request
from lxml import etree

app = Flask(__name__)
tree = etree.parse("users.xml")
root = ET.parse("users.xml").getroot()
ROLES = ("admin", "editor", "viewer")
WORDS = re.compile(r"\w+")


@app.route("/user")
def user():
    name = request.args["name"]
    # ruleid: py.xpath-injection
    nodes = tree.xpath("//user[@name='" + name + "']")
    return str(len(nodes))


@app.route("/user-param")
def user_param():
    name = request.args["name"]
    # ok: py.xpath-injection
    nodes = tree.xpath("//user[@name=$name]", name=name)
    return str(len(nodes))


@app.route("/compiled")
def compiled():
    name = request.args["name"]
    # ruleid: py.xpath-injection
    find_user = etree.XPath(f"//user[@name='{name}']/email")
    return str(find_user(tree))


@app.route("/et")
def et():
    name = request.args["name"]
    # ruleid: py.xpath-injection
    found = root.findall(f".//user[@name='{name}']")
    return str(len(found))


@app.route("/role/<role>")
def role(role):
    if role in ROLES:
        # ok: py.xpath-injection
        return str(len(tree.xpath("//user[@role='" + role + "']")))
    return "unknown role", 400


@app.route("/words")
def words():
    text = request.args["text"]
    # ok: py.xpath-injection
    return str(WORDS.findall(text))


@app.route("/user-old")
def user_old():
    name = request.args["name"]
    return "disabled"
    # ok: py.xpath-injection
    tree.xpath("//user[@name='" + name + "']")
