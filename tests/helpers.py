"""Test helpers: address CFG nodes by their source text, as python-graphs' tests do."""

from __future__ import annotations

import contextlib
import copy
import textwrap

import workbench as wb

ANY = object()


class Graph:
    """A built CPG with lookups by source text.

    ``Graph(src, "f")`` builds ``src`` (dedented) and narrows to method ``f``. ``"ENTRY"`` and
    ``"EXIT"`` name the METHOD and METHOD_RETURN of that method.
    """

    def __init__(self, src: str, method: str | None = None, path: str = "t.py"):
        self.full = wb.build_cpg(textwrap.dedent(src), path=path)
        self.cpg = self.full.method(method) if method else self.full
        self.rows = {r["id"]: r for r in self.cpg.nodes.to_pylist()}
        self.edges = [
            (r["src"], r["dst"], r["kind"], r["label"]) for r in self.cpg.edges.to_pylist()
        ]
        self.cfg = [(s, d, lab) for s, d, k, lab in self.edges if k == "CFG"]
        mids = self.cpg.methods["id"].to_pylist()
        self.entry = mids[0] if method else 0
        self.exit = next(
            i
            for i, r in self.rows.items()
            if r["kind"] == "METHOD_RETURN" and r["method"] == self.entry
        )

    def id(self, code: str) -> int:
        """The unique CFG node whose code is ``code``."""
        if code == "ENTRY":
            return self.entry
        if code == "EXIT":
            return self.exit
        in_cfg = {x for s, d, _ in self.cfg for x in (s, d)}
        hits = [i for i, r in self.rows.items() if r["code"] == code and i in in_cfg]
        if not hits:  # a node no edge touches (unreachable, or a lone statement)
            hits = [i for i, r in self.rows.items() if r["code"] == code]
        if len(hits) > 1:  # prefer the narrowed method's own nodes over nested methods'
            own = [i for i in hits if self.rows[i]["method"] == self.entry]
            hits = own or hits
        assert len(hits) == 1, f"{len(hits)} nodes with code {code!r}: {hits}"
        return hits[0]

    def succ(self, code: str) -> set[tuple[str, str | None]]:
        """``{(successor code or ENTRY/EXIT, label)}`` of a CFG node."""
        a = self.id(code)
        return {(self._name(d), lab) for s, d, lab in self.cfg if s == a}

    def _name(self, nid: int) -> str:
        if nid == self.exit:
            return "EXIT"
        if nid == self.entry:
            return "ENTRY"
        return self.rows[nid]["code"]

    def edges_of(self, kind: str) -> set[tuple[str, str, str | None]]:
        return {(self._name(s), self._name(d), lab) for s, d, k, lab in self.edges if k == kind}

    def reaching(self, use_code: str, var: str | None = None) -> set[str]:
        """Codes of the statements whose definitions reach ``use_code``'s uses of ``var``."""
        out = set()
        for s, d, k, lab in self.edges:
            if k != "REACHING_DEF" or (var is not None and lab != var):
                continue
            if self._stmt_code(d) == use_code:
                out.add(self._stmt_code(s))
        return out

    def _stmt_code(self, nid: int) -> str:
        """Code of the CFG node holding ``nid`` (walk up the AST to one that has CFG edges)."""
        in_cfg = {x for s, d, _ in self.cfg for x in (s, d)}
        while nid not in in_cfg and self.rows[nid]["parent"] is not None:
            nid = self.rows[nid]["parent"]
        return self._name(nid)


def assert_cfg(g: Graph, a: str, b: str, label=ANY) -> None:
    """Assert a CFG edge from the node with code ``a`` to the node with code ``b``."""
    ia, ib = g.id(a), g.id(b)
    labels = [lab for s, d, lab in g.cfg if s == ia and d == ib]
    assert labels, f"no CFG edge {a!r} -> {b!r}; successors of {a!r}: {g.succ(a)}"
    if label is not ANY:
        assert label in labels, f"edge {a!r} -> {b!r} has labels {labels}, not {label!r}"


def assert_no_cfg(g: Graph, a: str, b: str) -> None:
    ia, ib = g.id(a), g.id(b)
    assert not [1 for s, d, _ in g.cfg if s == ia and d == ib], f"unexpected edge {a!r}->{b!r}"


#: The bundled sample code base and what building it must give: every module but the two
#: that are broken on purpose (a syntax error and Latin-1 bytes without a coding line).
SAMPLE = __import__("pathlib").Path(__file__).parent.parent / "data" / "sample_project"
SAMPLE_MODULES = sum(1 for _ in SAMPLE.rglob("*.py"))
SAMPLE_BROKEN = 2
SAMPLE_OK = SAMPLE_MODULES - SAMPLE_BROKEN


#: The running interpreter's standard library (the slow tests build all of it).
STDLIB = __import__("sysconfig").get_paths()["stdlib"]


def stdlib_files() -> list[str]:
    """Every ``.py`` file of the standard library (not site-packages), in a stable order."""
    import os

    out = []
    for dirpath, dirs, files in os.walk(STDLIB):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "__pycache__"))
        out += [os.path.join(dirpath, f) for f in sorted(files) if f.endswith(".py")]
    return out


def run_python(code: str, crash: str | None = None, timeout: float = 120):
    """Run ``code`` (dedented) in a fresh interpreter; ``crash`` names the crash point where
    it kills itself (``WORKBENCH_CRASHPOINT``). Returns the CompletedProcess."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "WORKBENCH_CRASHPOINT"}
    env["PYTHONHASHSEED"] = "0"
    if crash:
        env["WORKBENCH_CRASHPOINT"] = crash
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextlib.contextmanager
def clean_telemetry():
    """No events or alerts, telemetry on and default settings inside; what was there before
    (settings, ring and queue sizes, on or off) afterwards."""
    from workbench import telemetry
    from workbench.telemetry import settings
    from workbench.telemetry.events import PENDING_SIZE, RING_SIZE

    saved = copy.deepcopy(vars(settings))
    was_enabled = telemetry.enabled()
    telemetry.clear()
    telemetry.enable()
    try:
        yield
    finally:
        telemetry.clear()
        for name, value in saved.items():
            setattr(settings, name, value)
        telemetry.set_ring_size(RING_SIZE)
        telemetry.set_pending_size(PENDING_SIZE)
        (telemetry.enable if was_enabled else telemetry.disable)()


def assert_new_views_draw_it(fig) -> None:
    """A browser view of the plotly ``FigureWidget`` ``fig`` that opens now (a page reloaded,
    a second ``display``) draws the figure as the kernel has it: the widget state a view
    starts from (``_widget_data``, ``_widget_layout``) is the figure's data and layout."""
    import json

    from plotly.utils import PlotlyJSONEncoder

    def as_json(data, layout):
        return json.loads(json.dumps({"data": data, "layout": layout}, cls=PlotlyJSONEncoder))

    assert as_json(fig._widget_data, fig._widget_layout) == as_json(fig._data, fig._layout)
