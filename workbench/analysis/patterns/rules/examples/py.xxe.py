"""Examples for py.xxe (CWE-611): untrusted XML parsed by an entity-processing parser."""

import xml.etree.ElementTree as ET
from xml.dom import minidom

import defusedxml.ElementTree as DET
from flask import Flask, request
from lxml import etree

app = Flask(__name__)


@app.route("/import", methods=["POST"])
def import_doc():
    # ruleid: py.xxe
    root = etree.fromstring(request.data)
    return root.tag


@app.route("/import-defused", methods=["POST"])
def import_defused():
    # ok: py.xxe
    root = DET.fromstring(request.data)
    return root.tag


@app.route("/import-hardened", methods=["POST"])
def import_hardened():
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    # ok: py.xxe
    root = etree.fromstring(request.data, parser)
    return root.tag


@app.route("/upload", methods=["POST"])
def upload():
    # ruleid: py.xxe
    tree = etree.parse(request.files["doc"])
    return tree.getroot().tag


@app.route("/feed", methods=["POST"])
def feed():
    # ruleid: py.xxe
    root = ET.fromstring(request.get_data())
    return root.tag


@app.route("/dom", methods=["POST"])
def dom():
    # ruleid: py.xxe
    doc = minidom.parseString(request.form["xml"])
    return doc.documentElement.tagName


@app.route("/template")
def template():
    # ok: py.xxe
    root = etree.fromstring("<greeting>hello</greeting>")
    return root.text


@app.route("/import-old", methods=["POST"])
def import_old():
    data = request.data
    return "disabled"
    # ok: py.xxe
    etree.fromstring(data)
