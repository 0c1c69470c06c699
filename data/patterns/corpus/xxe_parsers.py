"""XML external entities with lxml.

Sinks: lxml.etree.fromstring / XML / parse of untrusted data with the
default parser or a parser built with resolve_entities=True. (The default
parser resolves external entities in lxml < 5.0.)
Negatives: a parser with resolve_entities=False, defusedxml, a constant
document.
"""
import io
import socket

import defusedxml.ElementTree as SafeET
from defusedxml.minidom import parseString as safe_parse_string
from flask import Flask, request
from lxml import etree

app = Flask(__name__)

SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
ENTITY_PARSER = etree.XMLParser(resolve_entities=True)
TEMPLATE = b"<invoice><total>0</total></invoice>"


def parse_document(raw):
    # ruleid: py.xxe
    return etree.fromstring(raw)


def parse_document_safely(raw):
    # ok: py.xxe
    return etree.fromstring(raw, SAFE_PARSER)


@app.post("/xml/import")
def import_xml():
    # ruleid: py.xxe
    root = etree.fromstring(request.data)
    return str(len(root))


@app.post("/xml/form")
def form_xml():
    # ruleid: py.xxe
    root = etree.XML(request.form["xml"])
    return str(len(root))


@app.post("/xml/upload")
def upload_xml():
    # ruleid: py.xxe
    tree = etree.parse(request.files["doc"])
    return str(len(tree.getroot()))


@app.post("/xml/entities")
def entity_parser():
    # ruleid: py.xxe
    root = etree.fromstring(request.get_data(), ENTITY_PARSER)
    return str(len(root))


@app.post("/xml/stream")
def stream_xml():
    stream = io.BytesIO(request.get_data())
    # ruleid: py.xxe
    tree = etree.parse(stream, etree.XMLParser(resolve_entities=True, no_network=False))
    return str(len(tree.getroot()))


@app.post("/xml/helper")
def helper_xml():
    root = parse_document(request.data)
    return str(len(root))


def xml_from_socket(conn: socket.socket):
    payload = conn.recv(65536)
    # ruleid: py.xxe
    return etree.fromstring(payload, parser=etree.XMLParser())


@app.post("/xml/safe")
def safe_parser():
    # ok: py.xxe
    root = etree.fromstring(request.data, SAFE_PARSER)
    return str(len(root))


@app.post("/xml/safe-inline")
def safe_parser_inline():
    # ok: py.xxe
    root = etree.fromstring(request.data, etree.XMLParser(resolve_entities=False))
    return str(len(root))


@app.post("/xml/defused")
def defused():
    # ok: py.xxe
    root = SafeET.fromstring(request.data)
    return str(len(root))


@app.post("/xml/defused-dom")
def defused_dom():
    # ok: py.xxe
    doc = safe_parse_string(request.data)
    return str(len(doc.childNodes))


@app.post("/xml/safe-helper")
def safe_helper():
    root = parse_document_safely(request.data)
    return str(len(root))


@app.route("/xml/template")
def template():
    _ = request.args.get("id")
    # ok: py.xxe
    root = etree.fromstring(TEMPLATE)
    return str(len(root))
