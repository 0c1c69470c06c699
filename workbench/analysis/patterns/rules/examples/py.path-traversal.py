"""Examples for py.path-traversal (CWE-22): untrusted data used as a file path."""

import os
import pathlib

from flask import Flask, abort, request, send_file, send_from_directory
from werkzeug.utils import secure_filename

app = Flask(__name__)
UPLOAD_DIR = "/srv/uploads"


@app.route("/download")
def download():
    name = request.args["file"]
    # ruleid: py.path-traversal
    return send_file(os.path.join(UPLOAD_DIR, name))


@app.route("/static-file/<path:name>")
def static_file(name):
    # ok: py.path-traversal
    return send_from_directory(UPLOAD_DIR, name)


@app.route("/read")
def read():
    name = request.args.get("name", "")
    # ruleid: py.path-traversal
    with open(os.path.join(UPLOAD_DIR, name)) as fh:
        return fh.read()


@app.route("/read-basename")
def read_basename():
    name = os.path.basename(request.args.get("name", ""))
    # ok: py.path-traversal
    with open(os.path.join(UPLOAD_DIR, name)) as fh:
        return fh.read()


@app.route("/upload", methods=["POST"])
def upload():
    f = request.files["document"]
    # ruleid: py.path-traversal
    f.save(os.path.join(UPLOAD_DIR, f.filename))
    return "saved"


@app.route("/upload-safe", methods=["POST"])
def upload_safe():
    f = request.files["document"]
    # ok: py.path-traversal
    f.save(os.path.join(UPLOAD_DIR, secure_filename(f.filename)))
    return "saved"


@app.route("/delete", methods=["POST"])
def delete():
    full = os.path.realpath(os.path.join(UPLOAD_DIR, request.form["name"]))
    if not full.startswith(UPLOAD_DIR + os.sep):
        abort(403)
    # ok: py.path-traversal
    os.remove(full)
    return "deleted"


@app.route("/notes/<note>")
def notes(note):
    # ruleid: py.path-traversal
    return pathlib.Path(UPLOAD_DIR, note).read_text()


@app.route("/purge")
def purge():
    target = request.args["target"]
    return "purge disabled"
    # ok: py.path-traversal
    os.remove(target)
