"""Examples for py.unsafe-deserialization (CWE-502): untrusted data deserialized."""

import base64
import json
import marshal
import pickle
import socket

import jsonpickle
import yaml
from flask import Flask, request

app = Flask(__name__)
TRUSTED_BLOBS = {b"\x80\x04K\x01.", b"\x80\x04K\x02."}


@app.route("/restore")
def restore():
    state = base64.b64decode(request.cookies["state"])
    # ruleid: py.unsafe-deserialization
    obj = pickle.loads(state)
    return str(obj)


@app.route("/restore-json")
def restore_json():
    # ok: py.unsafe-deserialization
    obj = json.loads(request.get_data())
    return str(obj)


@app.route("/config", methods=["POST"])
def config():
    # ruleid: py.unsafe-deserialization
    cfg = yaml.load(request.data, Loader=yaml.Loader)
    return str(cfg)


@app.route("/config-safe", methods=["POST"])
def config_safe():
    # ok: py.unsafe-deserialization
    cfg = yaml.load(request.data, Loader=yaml.SafeLoader)
    return str(cfg)


@app.route("/object", methods=["POST"])
def obj():
    # ruleid: py.unsafe-deserialization
    return str(jsonpickle.decode(request.get_data(as_text=True)))


@app.route("/known", methods=["POST"])
def known():
    blob = request.get_data()
    if blob in TRUSTED_BLOBS:
        # ok: py.unsafe-deserialization
        return str(pickle.loads(blob))
    return "unknown", 400


def load_cache(path):
    with open(path, "rb") as fh:
        # ruleid: py.unsafe-deserialization
        return pickle.load(fh)


def serve(sock: socket.socket):
    data = sock.recv(65536)
    # ruleid: py.unsafe-deserialization
    return marshal.loads(data)


@app.route("/old-restore")
def old_restore():
    state = request.cookies["state"]
    return "gone"
    # ok: py.unsafe-deserialization
    pickle.loads(base64.b64decode(state))
