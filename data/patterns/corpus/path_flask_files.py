"""Path traversal in Flask file-serving views.

Sinks: open, os.remove, shutil.*, send_file, send_from_directory (its
directory argument). Sanitizers: secure_filename, os.path.basename,
allow-list membership, int(), realpath containment check.
Routes that take a path use the <path:...> converter or a query argument,
so that the value can hold "/" at all.
"""
import os
import shutil

from flask import Flask, abort, request, send_file, send_from_directory
from werkzeug.utils import secure_filename

app = Flask(__name__)

UPLOAD_DIR = "/srv/uploads"
ALLOWED_REPORTS = {"daily.pdf", "weekly.pdf"}


@app.route("/download")
def download():
    name = request.args["file"]
    # ruleid: py.path-traversal
    return send_file(os.path.join(UPLOAD_DIR, name))


@app.route("/read/<path:filename>")
def read(filename):
    path = os.path.join(UPLOAD_DIR, filename)
    # ruleid: py.path-traversal
    with open(path) as fh:
        data = fh.read()
    return str(len(data))


@app.post("/upload")
def upload():
    doc = request.files["doc"]
    # ruleid: py.path-traversal
    with open(os.path.join(UPLOAD_DIR, doc.filename), "wb") as out:
        out.write(doc.read())
    return "stored"


@app.post("/delete")
def delete():
    # ruleid: py.path-traversal
    os.remove(os.path.join(UPLOAD_DIR, request.form["name"]))
    return "deleted"


@app.post("/backup")
def backup():
    src = request.form["src"]
    # ruleid: py.path-traversal
    shutil.copy(os.path.join(UPLOAD_DIR, src), "/srv/backup/")
    return "copied"


@app.post("/purge")
def purge():
    folder = request.json["folder"]
    # ruleid: py.path-traversal
    shutil.rmtree("/srv/tmp/" + folder)
    return "purged"


@app.route("/from-dir")
def from_directory():
    directory = request.args["dir"]
    # the directory argument is trusted by send_from_directory
    # ruleid: py.path-traversal
    return send_from_directory(directory, "report.pdf")


@app.route("/download-safe")
def download_safe():
    name = secure_filename(request.args["file"])
    # ok: py.path-traversal
    return send_file(os.path.join(UPLOAD_DIR, name))


@app.post("/upload-safe")
def upload_safe():
    doc = request.files["doc"]
    target = os.path.join(UPLOAD_DIR, secure_filename(doc.filename))
    # ok: py.path-traversal
    with open(target, "wb") as out:
        out.write(doc.read())
    return "stored"


@app.post("/delete-basename")
def delete_basename():
    name = os.path.basename(request.form["name"])
    # ok: py.path-traversal
    os.remove(os.path.join(UPLOAD_DIR, name))
    return "deleted"


@app.route("/files/<path:filename>")
def files(filename):
    # send_from_directory joins the file name safely below the directory
    # ok: py.path-traversal
    return send_from_directory(UPLOAD_DIR, filename)


@app.route("/report")
def report():
    name = request.args["name"]
    if name in ALLOWED_REPORTS:
        # ok: py.path-traversal
        return send_file(os.path.join("/srv/reports", name))
    abort(404)


@app.route("/invoice")
def invoice():
    number = int(request.args["n"])
    # ok: py.path-traversal
    with open(f"/srv/invoices/{number}.pdf", "rb") as fh:
        size = len(fh.read())
    return str(size)


@app.route("/contained/<path:filename>")
def contained(filename):
    root = os.path.realpath(UPLOAD_DIR)
    full = os.path.realpath(os.path.join(root, filename))
    if not full.startswith(root + os.sep):
        abort(400)
    # ok: py.path-traversal
    return send_file(full)
