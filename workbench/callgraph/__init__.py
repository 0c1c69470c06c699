"""Whole-project call graphs by value flow (points-to analysis).

:func:`workbench.frontends.python.flows.summarize` turns a Python module's syntax tree into a
:class:`ModuleSummary` of value-flow constraints; :func:`analyze` solves the summaries of a
whole project together and returns the :class:`CallGraph`: every caller -> callee edge with
its call site and its *kind* (a call expression, or a call the interpreter makes without one:
``decorator``, ``protocol``, ``property``, ``class-body``, ``module-body``).
:meth:`CallGraph.targets` says where each edge goes in the CPGs (the callee's ``METHOD``), from
which :func:`workbench.pipeline.callgraph.call_edges` makes ``cpg_edges`` rows.

Examples
--------
>>> import ast
>>> from workbench.frontends.python.flows import summarize
>>> src = '''
... class Greeter:
...     def hello(self):
...         return "hi".upper()
...
... def make():
...     return Greeter()
...
... g = make()
... g.hello()
... '''
>>> cg = analyze([summarize(ast.parse(src), "app")])
>>> print(cg.to_pandas().query("kind == 'call'")[["caller", "callee", "line"]].to_string())
              caller              callee  line
1  app.Greeter.hello  builtins.str.upper     4
2       app.<module>            app.make     9
3       app.<module>   app.Greeter.hello    10
>>> cg
<CallGraph: 4 edges, 4/4 call sites resolved>
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from workbench.callgraph.model import ModuleSummary, Site
from workbench.callgraph.solver import Edge, Solver

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

__all__ = ["IMPLICIT", "CallGraph", "Edge", "ModuleSummary", "Site", "Target", "analyze"]

#: ``(module, site, callee module, callee METHOD full name, line, col, resolution)``
Target = tuple[str, Site, str, str, int | None, int | None, str]

#: Edge kinds of calls made without a call expression.
IMPLICIT = ("decorator", "protocol", "property", "class-body", "module-body")

_COLUMNS = [
    "caller",
    "callee",
    "kind",
    "module",
    "line",
    "col",
    "site_type",
    "callee_key",
    "external",
]


class CallGraph:
    """The call edges of a project, from :func:`analyze`.

    Attributes
    ----------
    edges : list of Edge
        ``(module, site, caller key, callee name, kind, callee key)``, sorted.
    call_sites : int
        Call expressions in the project.
    resolved_sites : int
        Call expressions with at least one callee.
    unresolved : list of (module, site, caller)
        The call expressions with no callee (:meth:`unresolved_frame` says why).
    left_out : list of (path, reason)
        Modules that were not analysed (set by the caller that gathered the summaries).
    saved_edges : int or None
        CALL rows stored by ``Store.call_graph(save=True)``, else None.
    """

    def __init__(self, solver: Solver) -> None:
        self.edges: list[Edge] = sorted(solver.edges, key=_edge_order)
        self.left_out: list[tuple[str, str]] = []
        self.saved_edges: int | None = None
        self.functions = solver.functions
        self.classes = solver.classes
        self.module_of = solver.module_of
        self.modules = set(solver.modules)  #: names of the modules analysed
        sites = {
            (mod, c[7], c[8])
            for c, mod in zip(solver.constraints, solver.origin, strict=True)
            if c[0] == "call"
        }
        sites |= {
            (mod, c[3], c[1])
            for c, mod in zip(solver.constraints, solver.origin, strict=True)
            if c[0] == "edge" and c[4] == "call"
        }
        self.call_sites = len(sites)
        self.resolved_sites = len({(m, s) for m, s, _ in sites} & solver.resolved_sites)
        self.unresolved = sorted(
            (m, s, c) for m, s, c in sites if (m, s) not in solver.resolved_sites
        )
        params = {p for f in solver.functions.values() for p in (*f.params, *f.kwonly)}
        self._reasons = {
            (mod, c[7]): (c[10], _reason(c[10], c[2], solver.pts.get(c[2]), params))
            for c, mod in zip(solver.constraints, solver.origin, strict=True)
            if c[0] == "call" and (mod, c[7]) not in solver.resolved_sites
        }

    def __repr__(self) -> str:
        return (
            f"<CallGraph: {len(self.edges)} edges, {self.resolved_sites}/{self.call_sites} "
            "call sites resolved>"
        )

    def unresolved_frame(self) -> pd.DataFrame:
        """The call sites with no callee: where they are, the callee as written (``f``,
        ``.attr``, ``<Subscript>``...) and why nothing was found."""
        import pandas as pd

        rows = []
        for mod, site, caller in self.unresolved:
            written, reason = self._reasons.get((mod, site), ("", "no callee"))
            rows.append((self.caller_name(caller), written, mod, site[1], site[2], reason))
        return pd.DataFrame(rows, columns=["caller", "written", "module", "line", "col", "reason"])

    def caller_name(self, key: str) -> str:
        """The full name of a caller key (function keys of redefinitions carry ``@line``)."""
        fn = self.functions.get(key)
        return fn.name if fn is not None else key

    def pairs(self, kinds: Iterable[str] | None = None) -> set[tuple[str, str]]:
        """The distinct ``(caller, callee)`` full-name pairs, of the given kinds only."""
        keep = set(kinds) if kinds is not None else None
        return {
            (self.caller_name(caller), callee)
            for _, _, caller, callee, kind, _ in self.edges
            if keep is None or kind in keep
        }

    def to_pandas(self) -> pd.DataFrame:
        """One row per edge: caller, callee, kind, where the call is (module, line, column,
        the syntax class of the site), the callee's key and whether it is outside the
        project."""
        import pandas as pd

        rows = [
            (
                self.caller_name(caller),
                callee,
                kind,
                mod,
                site[1],
                site[2],
                site[0],
                key,
                key is None,
            )
            for mod, site, caller, callee, kind, key in self.edges
        ]
        return pd.DataFrame(rows, columns=_COLUMNS)

    def targets(self) -> list[Target]:
        """Where each edge goes in the CPGs: ``(module, site, callee module, callee METHOD
        full name, line, col, resolution)``, sorted and distinct.

        The callee's METHOD is a function's (its ``def`` or ``lambda``), a class body's (for
        ``class-body`` edges) or a module's (``module-body``, with ``line``/``col`` None);
        edges to outside callees (no METHOD in the project) are left out. ``resolution`` is
        ``points-to`` for call expressions, else the edge kind (a value of
        :class:`~workbench.cpg.schema.Resolution`).
        """
        out = set()
        for mod, site, _, _, kind, key in self.edges:
            if key is None:
                continue
            res = "points-to" if kind == "call" else kind
            fn = self.functions.get(key)
            if fn is not None:
                out.add((mod, site, self.module_of[key], fn.name, fn.line, fn.col, res))
            elif key in self.classes:
                c = self.classes[key]
                out.add((mod, site, self.module_of[key], f"{c.name}.<body>", c.line, c.col, res))
            elif kind == "module-body":
                out.add((mod, site, key, f"{key}.<module>", None, None, res))
        return sorted(
            out, key=lambda t: (t[0], t[1][1:], t[1][0], t[2], t[3], t[4] or 0, t[5] or 0, t[6])
        )

    def to_networkx(self, kinds: Iterable[str] | None = None) -> nx.DiGraph:
        """Caller -> callee by full name; edge attribute ``kinds`` (sorted list) and
        ``sites`` (how many call sites); node attribute ``external``."""
        import networkx as nx

        keep = set(kinds) if kinds is not None else None
        g = nx.DiGraph()
        for _, _, caller, callee, kind, key in self.edges:
            if keep is not None and kind not in keep:
                continue
            src = self.caller_name(caller)
            g.add_node(src, external=False)
            if callee not in g:
                g.add_node(callee, external=key is None)
            data = g.get_edge_data(src, callee)
            if data is None:
                g.add_edge(src, callee, kinds=[kind], sites=1)
            else:
                data["sites"] += 1
                if kind not in data["kinds"]:
                    data["kinds"] = sorted([*data["kinds"], kind])
        return g


def _reason(written: str, var: str | None, objs: set[str] | None, params: set[str]) -> str:
    """Why a call site has no callee, from what its callee expression holds."""
    if not objs:
        if var in params:
            return "a parameter that no call passes a known value"
        if written.startswith("."):
            return "no known object has this attribute (the receiver's value is unknown)"
        return "no known value flows into the callee"
    kinds = sorted({o.partition(":")[0] for o in objs})
    what = {"xi": "instances of outside classes", "l": "containers", "g": "generators"}
    named = ", ".join(what.get(k, k) for k in kinds)
    return f"the callee's values are not callable or not modelled ({named})"


def _edge_order(e: Edge) -> tuple:
    mod, site, caller, callee, kind, key = e
    return (mod, site[1], site[2], site[3], site[4], site[0], caller, callee, kind, key or "")


def analyze(summaries: Iterable[ModuleSummary]) -> CallGraph:
    """Solve the summaries of a project's modules together; the call graph."""
    return CallGraph(Solver(summaries).solve())
