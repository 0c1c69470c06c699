"""The graph view: one method's CPG drawn with plotly, layer toggles, search, a node's details
and a highlighted path; and a project view of the call or import graph, coloured by community.

The drawing is a plain function of the state: :func:`graph_figure` turns a
:class:`~workbench.widgets.graph_state.GraphState` into a plotly figure dict, and
:func:`search_nodes` and :func:`node_details_html` answer the search box and a click, all
tested without a browser. :class:`GraphView` only holds the controls and a plotly
``FigureWidget`` and copies their results into it. Every string drawn comes escaped from the
state; plotly shows entities as text, so ``<script>`` in analysed code stays text.

Examples
--------
>>> import workbench as wb
>>> cpg = wb.build_cpg("def f(x):\\n    if x:\\n        x = 1\\n    return x\\n", path="m.py")
>>> s = graph_state(cpg, "m.f", layers=["CFG"])
>>> fig = graph_figure(s)
>>> [t["name"] for t in fig["data"]]
['CFG', 'CFG labels', 'nodes']
>>> search_nodes(s, "return")
[12]
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import WorkbenchError
from workbench.widgets._common import error_html, esc, ipywidgets, keep_figure_state
from workbench.widgets.graph_state import LAYERS, LAYOUTS, GraphState, graph_state
from workbench.widgets.source import source_lines

__all__ = [
    "EDGE_COLORS",
    "GraphView",
    "ProjectGraphState",
    "graph_figure",
    "node_details_html",
    "project_figure",
    "project_graph_state",
    "search_nodes",
    "trace_gids",
]

#: Colour of each edge layer (and of its legend entry).
EDGE_COLORS = {
    "AST": "#9e9e9e",
    "CFG": "#1f77b4",
    "CDG": "#ff7f0e",
    "REACHING_DEF": "#2ca02c",
    "CALL": "#9467bd",
    "DOMINATE": "#8c564b",
}
#: Colour of highlighted (path) nodes and edges, of the selection and of search matches.
HIGHLIGHT = "#d62728"
SELECTED = "#000000"
MATCH = "#e6ab02"
#: Node colours: statements (in the control flow), other nodes, callees outside the method.
NODE_COLORS = {"METHOD": "#393b79", "cfg": "#6baed6", "ast": "#d9d9d9", "external": "#bcbddc"}
#: Share of an edge cut off at its head, so the arrow ends before the node's marker.
HEAD_GAP = 0.18
#: Labels are written on nodes only up to this many nodes (hover shows them always).
TEXT_NODES = 150
#: Source lines shown around a selected node.
CONTEXT_LINES = 2
#: At most this many source lines in a node's details (a module's node spans the file).
MAX_DETAIL_LINES = 60


# -- one method ------------------------------------------------------------------------------


def graph_figure(
    state: GraphState, *, matches: Iterable[int] = (), height: int = 560, title: bool = True
) -> dict[str, Any]:
    """A plotly figure (a plain dict) drawing ``state``.

    One line trace per edge layer with arrow heads (control-flow back edges bend to the
    right), one invisible trace per layer carrying the edge labels in its hover, the nodes
    (hover: kind, line, code; ``customdata``: the global node number) and, when flagged, the
    highlighted path on top, the selected node ringed black and search ``matches`` ringed
    yellow. The y axis points down: control flows from top to bottom. ``title``: the
    state's summary above the plot (the widget shows it in its status line instead).

    Examples
    --------
    >>> import workbench as wb
    >>> s = graph_state(wb.build_cpg("def f():\\n    return 1\\n", path="m.py"), "m.f")
    >>> fig = graph_figure(s, height=300)
    >>> fig["layout"]["height"], fig["layout"]["yaxis"]["autorange"]
    (300, 'reversed')
    """
    nodes, edges = state.nodes, state.edges
    data: list[dict] = []
    for kind in state.layers:
        e = edges[edges["kind"] == kind]
        plain = e[~e["highlighted"].to_numpy(bool)]
        data.append(_edge_trace(plain, kind, EDGE_COLORS.get(kind, "#777777"), 1.2, kind))
        labelled = e[e["label"].astype(bool).to_numpy()]
        data.append(_edge_labels(labelled, kind))
    hl_edges = edges[edges["highlighted"].to_numpy(bool)]
    if len(hl_edges):
        data.append(_edge_trace(hl_edges, "path", HIGHLIGHT, 3.0, "path"))
    data.append(_node_trace(nodes))
    hl = nodes["highlighted"].to_numpy(bool)
    if hl.any():
        data.append(_ring_trace(nodes[hl], "path", HIGHLIGHT))
    data += _marks(nodes, matches)
    layout = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 36 if title else 10, "b": 10},
        "title": {"text": state.summary if title else "", "font": {"size": 12}, "x": 0.01},
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.02},
        "hovermode": "closest",
        "dragmode": "pan",
        "plot_bgcolor": "white",
        "xaxis": {"visible": False, "autorange": True},
        "yaxis": {"visible": False, "autorange": "reversed"},
        "uirevision": state.method,
    }
    return {"data": data, "layout": layout}


def _edge_trace(e: pd.DataFrame, kind: str, color: str, width: float, name: str) -> dict:
    x0, y0 = e["x0"].to_numpy(float), e["y0"].to_numpy(float)
    x1, y1 = e["x1"].to_numpy(float), e["y1"].to_numpy(float)
    back = e["back"].to_numpy(bool)
    # a back edge goes up through a point right of both ends; the others straight
    mx = np.where(back, np.maximum(x0, x1) + 0.6, (x0 + x1) / 2)
    my = (y0 + y1) / 2
    hx, hy = x1 - (x1 - mx) * 2 * HEAD_GAP, y1 - (y1 - my) * 2 * HEAD_GAP
    n = len(e)
    xs = np.full(4 * n, np.nan)
    ys = np.full(4 * n, np.nan)
    xs[0::4], xs[1::4], xs[2::4] = x0, mx, hx
    ys[0::4], ys[1::4], ys[2::4] = y0, my, hy
    sizes = np.zeros(4 * n)
    sizes[2::4] = 9 if width < 2 else 12
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "legendgroup": kind,
        "x": _listed(xs),
        "y": _listed(ys),
        "line": {"color": color, "width": width},
        "marker": {
            "symbol": "arrow",
            "angleref": "previous",
            "size": sizes.tolist(),
            "color": color,
        },
        "hoverinfo": "skip",
        "showlegend": True,
    }


def _edge_labels(e: pd.DataFrame, kind: str) -> dict:
    back = e["back"].to_numpy(bool)
    x0, x1 = e["x0"].to_numpy(float), e["x1"].to_numpy(float)
    return {
        "type": "scatter",
        "mode": "markers",
        "name": f"{kind} labels",
        "legendgroup": kind,
        "showlegend": False,
        "x": np.where(back, np.maximum(x0, x1) + 0.6, (x0 + x1) / 2).tolist(),
        "y": ((e["y0"].to_numpy(float) + e["y1"].to_numpy(float)) / 2).tolist(),
        "hovertext": [f"{kind}: {label}" for label in e["label"]],
        "hoverinfo": "text",
        "marker": {"size": 8, "color": EDGE_COLORS.get(kind, "#777777"), "opacity": 0.25},
    }


def _node_trace(nodes: pd.DataFrame) -> dict:
    kind = nodes["kind"].to_numpy()
    colors = np.where(
        nodes["external"].to_numpy(bool),
        NODE_COLORS["external"],
        np.where(
            kind == "METHOD",
            NODE_COLORS["METHOD"],
            np.where(nodes["cfg"].to_numpy(bool), NODE_COLORS["cfg"], NODE_COLORS["ast"]),
        ),
    )
    text = len(nodes) <= TEXT_NODES
    return {
        "type": "scatter",
        "mode": "markers+text" if text else "markers",
        "name": "nodes",
        "x": nodes["x"].astype(float).tolist(),
        "y": nodes["y"].astype(float).tolist(),
        "text": nodes["label"].tolist() if text else None,
        "textposition": "middle right",
        "textfont": {"size": 10},
        "hovertext": nodes["hover"].tolist(),
        "hoverinfo": "text",
        "customdata": nodes["node"].astype(int).tolist(),
        "marker": {
            "size": np.where(nodes["cfg"].to_numpy(bool), 14, 9).tolist(),
            "color": colors.tolist(),
            "line": {"width": 1, "color": "#555555"},
        },
        "showlegend": False,
    }


#: The traces that mark search matches and the selection: redrawn alone on a search or a click.
MARKS = ("search", "selected")


def _marks(nodes: pd.DataFrame, matches: Iterable[int]) -> list[dict]:
    """Rings around the search ``matches`` and the selected node (when any)."""
    out = []
    for name, color, mask in (
        ("search", MATCH, nodes["node"].isin(list(matches)).to_numpy()),
        ("selected", SELECTED, nodes["selected"].to_numpy(bool)),
    ):
        if mask.any():
            out.append(_ring_trace(nodes[mask], name, color))
    return out


def _ring_trace(nodes: pd.DataFrame, name: str, color: str) -> dict:
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": nodes["x"].astype(float).tolist(),
        "y": nodes["y"].astype(float).tolist(),
        "customdata": nodes["node"].astype(int).tolist(),
        "hoverinfo": "skip",
        "marker": {
            "size": 22,
            "color": "rgba(0,0,0,0)",
            "line": {"width": 2.5, "color": color},
        },
        "showlegend": True,
    }


def _listed(values: np.ndarray) -> list:
    """Floats for plotly, NaN as None (a break between line segments)."""
    return [None if math.isnan(v) else v for v in values.tolist()]


def search_nodes(state: GraphState, text: str) -> list[int]:
    """Global numbers of the drawn nodes whose name or code contains ``text``
    (case-insensitive; the empty text matches nothing), in source order."""
    text = (text or "").strip()
    if not text:
        return []
    needle = text.lower()
    nodes = state.nodes
    # the state's strings are escaped: search what they say, not their entities
    hit = np.zeros(len(nodes), bool)
    for column in ("name", "code"):
        raw = nodes[column].fillna("").map(html.unescape).str.lower()
        hit |= raw.str.contains(needle, regex=False).to_numpy(bool)
    return sorted(nodes.loc[hit, "node"].astype(int).tolist())


def node_details_html(
    state: GraphState, node: int, *, source: Any = None, context: int = CONTEXT_LINES
) -> str:
    """A node's properties and its source lines (the node's lines marked), as HTML.

    ``source`` is what the graph was read from (a store, a project, or their
    :class:`~workbench.analysis.tables.CodeTables`), for the lines; without it only the
    node's code is shown. Everything is escaped.
    """
    rows = state.nodes[state.nodes["node"] == node]
    if rows.empty:
        return error_html(f"node {node} is not drawn in {state.method}")
    r = rows.iloc[0]
    props = pd.DataFrame(
        {
            "property": ["node", "id", "kind", "name", "line", "end line", "code"],
            "value": [
                int(r["node"]),
                int(r["id"]),
                esc(r["kind"]),  # the only column the state keeps unescaped
                r["name"],
                _int_or_blank(r["line"]),
                _int_or_blank(r["end_line"]),
                r["code"],
            ],
        }
    )
    # the state's strings are escaped already: render them as they are
    body = props.to_html(index=False, escape=False, border=0, classes="wb-node-props")
    return body + _source_html(state, r, source, context)


def _int_or_blank(value) -> str:
    return "" if value is None or pd.isna(value) else str(int(value))


def _source_html(state: GraphState, r, source, context: int) -> str:
    if source is None or pd.isna(r["line"]):
        return ""
    from workbench.analysis.tables import CodeTables

    tables = source if isinstance(source, CodeTables) else None
    if tables is None:
        return ""
    module = int(tables.nodes.column("module")[int(r["node"])].as_py())
    lines, why = source_lines(tables, module)
    if lines is None:
        return f"<p class='wb-source'><i>source not shown: {esc(why)}</i></p>"
    first, last = int(r["line"]), int(r["end_line"] if not pd.isna(r["end_line"]) else r["line"])
    lo, hi = max(1, first - context), min(len(lines), last + context)
    cut = hi - lo + 1 > MAX_DETAIL_LINES  # a whole module or class: its first lines only
    if cut:
        hi = lo + MAX_DETAIL_LINES - 1
    out = []
    for no in range(lo, hi + 1):
        mark = first <= no <= last
        style = " style='background:#fff3bf'" if mark else ""
        cls = "wb-line wb-marked" if mark else "wb-line"
        out.append(f"<span class='{cls}'{style}>{no:>5}  {esc(lines[no - 1])}</span>")
    if cut:
        end = min(last, len(lines))
        out.append(f"<i>... to line {end} ({end - hi:,} more lines)</i>")
    return "<pre class='wb-source'>" + "\n".join(out) + "</pre>"


# -- a project -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ProjectGraphState:
    """What the project view draws: the call or import graph, one colour per community.

    ``nodes``: ``node`` (graph node number), ``label`` and ``hover`` (escaped),
    ``community``, ``x``, ``y``, ``degree``; ``edges``: ``src``, ``dst``, ``x0``, ``y0``,
    ``x1``, ``y1``.
    """

    kind: str
    nodes: pd.DataFrame
    edges: pd.DataFrame
    communities: int
    summary: str  #: escaped


def project_graph_state(
    math, kind: str = "import", *, algorithm: str = "louvain", max_nodes: int = 2000
) -> ProjectGraphState:
    """The project's ``call`` or ``import`` graph with its communities.

    Parameters
    ----------
    math
        A :class:`~workbench.analysis.cpgmath.CPGMath` (its cache keeps the communities), or
        a source it reads (a store with CPGs, a project).
    algorithm
        A community algorithm of CPGMath (``louvain`` or ``label_propagation``).
    max_nodes
        A bigger graph is refused (:class:`~workbench.widgets.graph_state.GraphTooLargeError`)
        rather than drawn unreadably.

    The layout puts each community in a disc of its own (nodes on a sunflower spiral, highest
    degree in the middle) and the discs on a spiral, largest first: deterministic, linear in
    the nodes, and communities stay apart.
    """
    from workbench.analysis.cpgmath import CPGMath
    from workbench.widgets.graph_state import GraphTooLargeError

    if kind not in ("call", "import"):
        raise WorkbenchError(f"the project view draws the call or import graph, not {kind!r}")
    if not isinstance(math, CPGMath):
        math = CPGMath(math, persist=False)
    graph = math.graph(kind)
    n = graph.number_of_nodes
    if n > max_nodes:
        raise GraphTooLargeError(
            f"the {kind} graph has {n:,} nodes, over the limit of {max_nodes:,} (max_nodes=)",
            size=n,
            limit=max_nodes,
        )
    comm = math.run(algorithm, kind)
    community = np.zeros(n, np.int64)
    community[comm["node"].to_numpy(np.int64)] = comm["community"].to_numpy(np.int64)
    src = graph.edges.column("src").to_numpy().astype(np.int64)
    dst = graph.edges.column("dst").to_numpy().astype(np.int64)
    degree = np.bincount(np.concatenate([src, dst]), minlength=n) if n else np.zeros(0, int)
    x, y = _community_layout(community, degree)
    names = graph.nodes.select(["full_name", "name", "kind"]).to_pandas()
    label = names["full_name"].fillna(names["name"]).fillna(names["kind"]).map(esc)
    nodes = pd.DataFrame(
        {
            "node": np.arange(n, dtype=np.int64),
            "label": label,
            "hover": [
                f"{lab}<br>community {c} · degree {d}"
                for lab, c, d in zip(label, community.tolist(), degree.tolist(), strict=True)
            ],
            "community": community,
            "x": x,
            "y": y,
            "degree": degree,
        }
    )
    edges = pd.DataFrame(
        {"src": src, "dst": dst, "x0": x[src], "y0": y[src], "x1": x[dst], "y1": y[dst]}
    )
    k = int(community.max()) + 1 if n else 0
    summary = esc(f"{kind} graph: {n:,} nodes, {len(edges):,} edges, {k} communities ({algorithm})")
    return ProjectGraphState(kind, nodes, edges, k, summary)


def _community_layout(community: np.ndarray, degree: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(community)
    x, y = np.zeros(n), np.zeros(n)
    golden = math.pi * (3 - math.sqrt(5))
    cx = cy = 0.0
    placed_r = 0.0
    sizes = np.bincount(community) if n else np.zeros(0, int)
    for rank, c in enumerate(np.argsort(-sizes, kind="stable").tolist()):
        members = np.flatnonzero(community == c)
        if not len(members):
            continue
        members = members[np.lexsort((members, -degree[members]))]
        i = np.arange(len(members))
        r = np.sqrt(i + 0.5)
        radius = math.sqrt(len(members)) + 1.0
        if rank:  # the next disc on a spiral around the first, outside those placed
            angle = rank * golden
            dist = placed_r + radius + 1.0
            cx, cy = dist * math.cos(angle), dist * math.sin(angle)
        placed_r = max(placed_r, math.hypot(cx, cy) + radius)
        x[members] = cx + r * np.cos(i * golden)
        y[members] = cy + r * np.sin(i * golden)
    return x, y


#: Community colours (plotly's qualitative "D3" palette), cycled.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


def project_figure(state: ProjectGraphState, *, height: int = 560) -> dict[str, Any]:
    """A plotly figure (a plain dict) of a :class:`ProjectGraphState`."""
    e = state.edges
    n = len(e)
    xs, ys = np.full(3 * n, np.nan), np.full(3 * n, np.nan)
    xs[0::3], xs[1::3] = e["x0"].to_numpy(float), e["x1"].to_numpy(float)
    ys[0::3], ys[1::3] = e["y0"].to_numpy(float), e["y1"].to_numpy(float)
    nodes = state.nodes
    colors = [PALETTE[c % len(PALETTE)] for c in nodes["community"].tolist()]
    sizes = (6 + 3 * np.sqrt(nodes["degree"].to_numpy(float))).clip(6, 30)
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": "edges",
                "x": _listed(xs),
                "y": _listed(ys),
                "line": {"color": "rgba(120,120,120,0.35)", "width": 0.8},
                "hoverinfo": "skip",
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": "nodes",
                "x": nodes["x"].tolist(),
                "y": nodes["y"].tolist(),
                "hovertext": nodes["hover"].tolist(),
                "hoverinfo": "text",
                "customdata": nodes["node"].tolist(),
                "marker": {"size": sizes.tolist(), "color": colors, "line": {"width": 0.5}},
            },
        ],
        "layout": {
            "height": height,
            "margin": {"l": 10, "r": 10, "t": 36, "b": 10},
            "title": {"text": state.summary, "font": {"size": 12}, "x": 0.01},
            "showlegend": False,
            "hovermode": "closest",
            "dragmode": "pan",
            "plot_bgcolor": "white",
            "xaxis": {"visible": False},
            "yaxis": {"visible": False, "scaleanchor": "x"},
        },
    }


# -- the widget ------------------------------------------------------------------------------


class GraphView:
    """An interactive view of one method's graph (plotly ``FigureWidget`` + controls).

    ``GraphView(store, "pkg.mod.func")`` reads the store's tables once
    (:class:`~workbench.analysis.tables.CodeTables`) and draws the method;
    :meth:`show` draws another (with a path highlighted: a taint trace, an impact path).
    Controls: one toggle per layer of :data:`~workbench.widgets.graph_state.LAYERS`, the
    layout, a search box (matches ringed), *Fit* (zoom to fit) and the details of the
    clicked node (its properties and source lines). Errors (no such method, a graph too
    big) are shown in :attr:`status`, never raised from a control.

    Attributes
    ----------
    tables : CodeTables
        What is drawn from; ``tables.gid(module, id)`` turns CPG ids into the global node
        numbers :meth:`show` highlights.
    state : GraphState or None
        What is drawn now.
    figure : plotly.graph_objects.FigureWidget
    widget : ipywidgets.VBox
    """

    def __init__(
        self,
        source: Any,
        method: str | int | None = None,
        *,
        module: str | int | None = None,
        layers: str | Sequence[str] = ("CFG",),
        layout: str | None = None,
        max_nodes: int = 2000,
        height: int = 560,
    ) -> None:
        w = ipywidgets()
        try:
            import plotly.graph_objects as go
        except ImportError:  # pragma: no cover - depends on the environment
            from workbench.errors import MissingDependencyError

            raise MissingDependencyError("plotly", "jupyter") from None
        from workbench.analysis.tables import CodeTables

        self.tables = source if isinstance(source, CodeTables) else CodeTables.read(source)
        self.max_nodes = max_nodes
        self.height = height
        self.state: GraphState | None = None
        self.matches: list[int] = []
        self._method: str | int | None = None
        self._module: str | int | None = None
        self._highlight: tuple[int, ...] = ()
        self._selected: int | None = None
        wanted = {str(x).upper() for x in ([layers] if isinstance(layers, str) else layers)}

        self.layer_toggles = {
            name: w.ToggleButton(
                value=name in wanted,
                description=name if name != "DOMINATE" else "dominators",
                tooltip=f"show the {name} edges",
                layout=w.Layout(width="auto"),
            )
            for name in LAYERS
        }
        for name, t in self.layer_toggles.items():
            t.add_class("wb-layer")
            t.add_class(f"wb-layer-{name.lower()}")
            t.observe(self._on_control, names="value")
        self.layout_choice = w.Dropdown(
            options=["auto", *LAYOUTS], value=layout or "auto", description="layout"
        )
        self.layout_choice.layout.width = "160px"
        self.layout_choice.observe(self._on_control, names="value")
        self.search_box = w.Text(placeholder="search name or code", continuous_update=False)
        self.search_box.add_class("wb-search")
        self.search_box.observe(self._on_search, names="value")
        self.fit_button = w.Button(description="Fit", icon="expand", tooltip="zoom to fit")
        self.fit_button.add_class("wb-fit")
        self.fit_button.on_click(lambda _b: self.fit())
        self.status = w.HTML(value="")
        self.status.add_class("wb-graph-status")
        self.details = w.HTML(value="<i>click a node to see its source and properties</i>")
        self.details.add_class("wb-node-details")
        self.figure = go.FigureWidget(layout={"height": height})
        self.figure.add_class("wb-graph")
        self.widget = w.VBox(
            [
                w.HBox(list(self.layer_toggles.values())),
                w.HBox([self.layout_choice, self.search_box, self.fit_button]),
                self.status,
                self.figure,
                self.details,
            ]
        )
        self.widget.add_class("wb-graph-view")
        if method is not None:
            self.show(method, module=module)

    # -- what is drawn -------------------------------------------------------------------

    @property
    def layers(self) -> tuple[str, ...]:
        """The layers toggled on."""
        return tuple(name for name, t in self.layer_toggles.items() if t.value)

    def show(
        self,
        method: str | int,
        *,
        module: str | int | None = None,
        highlight: Iterable[int] = (),
        selected: int | None = None,
    ) -> GraphState | None:
        """Draw ``method`` (full name or unique suffix, or an id with ``module``), with the
        path ``highlight`` (global node numbers) flagged; the state, or None with the error
        shown in :attr:`status`."""
        self._method, self._module = method, module
        self._highlight = tuple(int(h) for h in highlight)
        self._selected = selected
        self.matches = []
        self.search_box.value = ""
        return self.redraw()

    def highlight(self, path: Iterable[int]) -> GraphState | None:
        """Flag a path (global node numbers) in the method drawn."""
        self._highlight = tuple(int(h) for h in path)
        return self.redraw()

    def set_layers(self, layers: str | Iterable[str]) -> GraphState | None:
        """Toggle exactly these layers on (one redraw)."""
        wanted = {str(x).upper() for x in ([layers] if isinstance(layers, str) else layers)}
        unknown = sorted(wanted - set(LAYERS))
        if unknown:
            self.status.value = error_html(
                f"unknown layers {unknown}: choose from {', '.join(LAYERS)}"
            )
            return None
        self._quiet = True
        try:
            for name, t in self.layer_toggles.items():
                t.value = name in wanted
        finally:
            self._quiet = False
        return self.redraw()

    _quiet = False

    def redraw(self) -> GraphState | None:
        """Build the state from the controls and draw it."""
        if self._method is None:
            return None
        layout = None if self.layout_choice.value == "auto" else self.layout_choice.value
        try:
            state = graph_state(
                self.tables,
                self._method,
                module=self._module,
                layers=self.layers,
                highlight=self._highlight,
                selected=self._selected,
                layout=layout,
                max_nodes=self.max_nodes,
            )
        except Exception as e:  # a control has nowhere to raise to: the view shows it
            self.state = None
            self.status.value = error_html(f"{type(e).__name__}: {e}")
            self._draw({"data": [], "layout": {"height": self.height}})
            return None
        self.state = state
        self.status.value = state.summary
        self._draw(graph_figure(state, matches=self.matches, height=self.height, title=False))
        return state

    def _draw(self, fig: dict) -> None:
        with self.figure.batch_update():
            self.figure.data = ()
            self.figure.layout = fig["layout"]
        self.figure.add_traces(fig["data"])
        for trace in self.figure.data:
            if trace.name == "nodes":
                trace.on_click(self._on_click)
        keep_figure_state(self.figure)

    # -- interaction ---------------------------------------------------------------------

    def select(self, node: int | None) -> str:
        """Select a node (global number): ring it and show its details; the details HTML."""
        self._selected = None if node is None else int(node)
        if self.state is None:
            return self.details.value
        nodes = self.state.nodes.assign(selected=self.state.nodes["node"] == self._selected)
        self.state = dataclasses.replace(self.state, nodes=nodes)
        self._redraw_marks()
        if self._selected is None:
            self.details.value = ""
        else:
            self.details.value = node_details_html(self.state, self._selected, source=self.tables)
        return self.details.value

    def search(self, text: str) -> list[int]:
        """Ring the nodes whose name or code contains ``text``; their global numbers."""
        if self.state is None:
            return []
        self.matches = search_nodes(self.state, text)
        self._redraw_marks()
        found = f"{len(self.matches)} match{'es' * (len(self.matches) != 1)}"
        self.status.value = f"{self.state.summary}; {esc(found)} for <code>{esc(text)}</code>"
        return self.matches

    def _redraw_marks(self) -> None:
        """Replace only the search and selection rings (a click sends a few points, not the
        whole graph)."""
        kept = tuple(t for t in self.figure.data if t.name not in MARKS)
        with self.figure.batch_update():
            self.figure.data = kept
        self.figure.add_traces(_marks(self.state.nodes, self.matches))
        keep_figure_state(self.figure)

    def fit(self) -> None:
        """Zoom to fit the whole graph."""
        with self.figure.batch_update():
            self.figure.layout.xaxis.autorange = True
            self.figure.layout.yaxis.autorange = "reversed"
        keep_figure_state(self.figure)

    def _on_click(self, trace, points, _state) -> None:
        if points.point_inds:
            self.select(int(trace.customdata[points.point_inds[0]]))

    def _on_control(self, _change) -> None:
        if not self._quiet:
            self.redraw()

    def _on_search(self, change) -> None:
        self.search(change["new"])

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def trace_gids(tables, trace: Iterable[dict]) -> np.ndarray:
    """Global node numbers of a finding's ``trace`` (``{module, id, line}`` items), in order;
    steps not in ``tables`` are left out."""
    steps = [s for s in (trace or ()) if s is not None]
    if not steps:
        return np.zeros(0, np.int64)
    g = tables.gid(
        np.array([s["module"] for s in steps], np.int64), np.array([s["id"] for s in steps])
    )
    return g[g >= 0]
