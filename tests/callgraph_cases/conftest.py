"""The call-graph cases are programs, not tests: pytest (``--doctest-modules``) must not import
them, nor ``trace.py``, whose module name is the standard library's ``trace``."""

collect_ignore = ["trace.py"]
collect_ignore_glob = ["*/*"]
