"""Node rule py.yaml-load: yaml.load without a safe loader.

The documents come from plain function parameters (no taint source).
Features: no Loader, unsafe loaders, from-imports, SafeLoader / CSafeLoader
by keyword, safe_load, SafeLoader passed positionally (hard negative).
"""
import yaml
from yaml import SafeLoader, load


def no_loader(text):
    # ruleid: py.yaml-load
    return yaml.load(text)


def full_unsafe_loader(text):
    # ruleid: py.yaml-load
    return yaml.load(text, Loader=yaml.Loader)


def unsafe_loader(text):
    # ruleid: py.yaml-load
    return yaml.load(text, Loader=yaml.UnsafeLoader)


def imported_load(text):
    # ruleid: py.yaml-load
    return load(text)


def multi_line(stream):
    # ruleid: py.yaml-load
    return yaml.load(
        stream,
    )


def safe_loader(text):
    # ok: py.yaml-load
    return yaml.load(text, Loader=yaml.SafeLoader)


def c_safe_loader(text):
    # ok: py.yaml-load
    return yaml.load(text, Loader=yaml.CSafeLoader)


def safe_load(text):
    # ok: py.yaml-load
    return yaml.safe_load(text)


def imported_safe_loader(text):
    # ok: py.yaml-load
    return load(text, Loader=SafeLoader)


def positional_safe_loader(text):
    # the second positional parameter of yaml.load is Loader
    # ok: py.yaml-load
    return yaml.load(text, yaml.SafeLoader)
