"""Examples for py.yaml-load (CWE-502): yaml.load without a safe loader."""

import yaml
from yaml import Loader, SafeLoader, load


def read_default(text):
    # ruleid: py.yaml-load
    return yaml.load(text)


def read_full(text):
    # ruleid: py.yaml-load
    return yaml.load(text, Loader=yaml.FullLoader)


def read_imported(text):
    # ruleid: py.yaml-load
    return load(text, Loader=Loader)


def read_unsafe(text):
    # ruleid: py.yaml-load
    return yaml.unsafe_load(text)


def read_safe_keyword(text):
    # ok: py.yaml-load
    return yaml.load(text, Loader=SafeLoader)


def read_safe_positional(text):
    # ok: py.yaml-load
    return yaml.load(text, yaml.CSafeLoader)


def read_safe_load(text):
    # ok: py.yaml-load
    return yaml.safe_load(text)


def read_all_base(text):
    # ok: py.yaml-load
    return list(yaml.load_all(text, Loader=yaml.BaseLoader))
