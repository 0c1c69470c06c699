"""Unsafe deserialization of request / network data.

Sinks: pickle.loads / load, marshal.loads, shelve.open, yaml.load without a
safe loader, jsonpickle.decode, dill.loads. Negatives: json.loads,
yaml.safe_load, yaml.load with SafeLoader, pickle.dumps (serialising),
pickle.loads of a constant.
yaml.load lines are also labelled for the node rule py.yaml-load.
"""
import base64
import json
import marshal
import pickle
import shelve
import socket

import dill
import jsonpickle
import yaml
from flask import Flask, request

app = Flask(__name__)

DEFAULT_STATE = pickle.dumps({"page": 1})


def restore(blob):
    # ruleid: py.unsafe-deserialization
    return pickle.loads(blob)


def restore_default(blob):
    # ok: py.unsafe-deserialization
    return pickle.loads(blob)


@app.post("/state")
def state():
    # ruleid: py.unsafe-deserialization
    obj = pickle.loads(request.data)
    return "loaded"


@app.route("/cookie-state")
def cookie_state():
    raw = base64.b64decode(request.cookies["state"])
    # ruleid: py.unsafe-deserialization
    obj = pickle.loads(raw)
    return str(len(obj))


@app.post("/model")
def upload_model():
    # ruleid: py.unsafe-deserialization
    model = pickle.load(request.files["model"])
    return "loaded"


@app.post("/config")
def config_yaml():
    # ruleid: py.unsafe-deserialization
    # ruleid: py.yaml-load
    cfg = yaml.load(request.data, Loader=yaml.Loader)
    return str(len(cfg))


@app.post("/config-loader")
def config_yaml_loader():
    body = request.get_data(as_text=True)
    # ruleid: py.unsafe-deserialization
    # ruleid: py.yaml-load
    cfg = yaml.load(body, Loader=yaml.UnsafeLoader)
    return str(len(cfg))


@app.post("/jp")
def jsonpickle_decode():
    # ruleid: py.unsafe-deserialization
    obj = jsonpickle.decode(request.form["obj"])
    return "loaded"


@app.post("/dill")
def dill_loads():
    # ruleid: py.unsafe-deserialization
    fn = dill.loads(request.get_data())
    return "loaded"


@app.route("/shelf")
def open_shelf():
    # ruleid: py.unsafe-deserialization
    with shelve.open(request.args["db"]) as db:
        keys = list(db.keys())
    return str(len(keys))


@app.post("/restore")
def restore_view():
    obj = restore(request.get_data())
    return "loaded"


def marshal_from_socket(conn: socket.socket):
    # ruleid: py.unsafe-deserialization
    code = marshal.loads(conn.recv(65536))
    return code


@app.post("/json")
def json_body():
    # ok: py.unsafe-deserialization
    obj = json.loads(request.data)
    return str(len(obj))


@app.post("/config-safe")
def config_safe_load():
    # ok: py.unsafe-deserialization
    # ok: py.yaml-load
    cfg = yaml.safe_load(request.data)
    return str(len(cfg))


@app.post("/config-safe-loader")
def config_safe_loader():
    # ok: py.unsafe-deserialization
    # ok: py.yaml-load
    cfg = yaml.load(request.data, Loader=yaml.SafeLoader)
    return str(len(cfg))


@app.post("/save")
def save_state():
    # serialising request data is harmless
    # ok: py.unsafe-deserialization
    blob = pickle.dumps(request.form.to_dict())
    return str(len(blob))


@app.route("/default-state")
def default_state():
    _page = request.args.get("page")
    # ok: py.unsafe-deserialization
    obj = pickle.loads(DEFAULT_STATE)
    return str(len(obj))


@app.route("/default-helper")
def default_helper():
    _page = request.args.get("page")
    obj = restore_default(DEFAULT_STATE)
    return str(len(obj))
