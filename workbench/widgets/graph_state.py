"""What a graph view of one method shows, as plain data: positioned nodes and edges.

:func:`graph_state` turns a method of a program into a :class:`GraphState`: two DataFrames
(nodes with coordinates, a short label and hover text; edges with their endpoints) that a
widget only has to draw. It needs no browser and no widget library, so it is tested and
benchmarked headless.

Layout
------
``"flow"`` (the default): a layered (Sugiyama-style) layout of the control flow. Back edges
are found by a depth-first search from the entry; each CFG node's layer is its longest path
from the entry over the remaining edges; the order within a layer comes from barycenter
sweeps. Nodes outside the CFG (names, literals, blocks) sit just below the statement that
holds them in the AST. ``"tree"``: the AST by depth, leaves left to right in source order.
``y`` grows downwards (layer number): a renderer draws with the y axis reversed. The
layout depends on the method only, never on the layers shown, so toggling a layer does not
move nodes.

Size
----
A method with more than ``max_nodes`` nodes is **summarised**: only its statements (the
CFG nodes and the METHOD node) are kept, ``truncated`` is set and ``summary`` says so. When
even those are over the limit, :class:`GraphTooLargeError` names the size and the limit.

Safety
------
Every string meant for display (``label``, ``hover``, ``code``, ``name``, edge ``label``,
``summary``, ``method``) is HTML-escaped: analysed code is untrusted.

Examples
--------
>>> import workbench as wb
>>> cpg = wb.build_cpg("def f(x):\\n    if x:\\n        x = 1\\n    return x\\n", path="m.py")
>>> s = graph_state(cpg, "f", layers=("CFG",))
>>> s.summary
'm.f: 12 nodes, 5 CFG edges'
>>> s.edges[["kind", "label"]].head(2).to_dict("records")
[{'kind': 'CFG', 'label': ''}, {'kind': 'CFG', 'label': 'true'}]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.cpg.schema import EdgeKind, NodeKind
from workbench.errors import GraphTooLargeError, WorkbenchError
from workbench.widgets._common import esc

__all__ = ["LAYERS", "LAYOUTS", "GraphState", "GraphTooLargeError", "graph_state"]

#: Layers a view can show (the dominator tree is the ``DOMINATE`` edges).
LAYERS: tuple[str, ...] = (
    str(EdgeKind.AST),
    str(EdgeKind.CFG),
    str(EdgeKind.CDG),
    str(EdgeKind.REACHING_DEF),
    str(EdgeKind.CALL),
    str(EdgeKind.DOMINATE),
)
#: Layouts: ``flow`` (layered control flow) and ``tree`` (AST by depth).
LAYOUTS: tuple[str, ...] = ("flow", "tree")

#: Longest label shown on a node (characters before escaping).
LABEL_CHARS = 32
#: Longest code shown in a hover (characters before escaping).
HOVER_CHARS = 300
#: Horizontal distance between neighbours in a layer; vertical distance between layers is 1.
X_SEP = 1.0
#: How far below its statement a node outside the CFG is drawn.
ATTACH_DY = 0.4

NODE_COLUMNS = [
    "node", "id", "kind", "label", "hover", "code", "name", "line", "end_line",
    "x", "y", "cfg", "external", "selected", "highlighted",
]  # fmt: skip
EDGE_COLUMNS = [
    "src", "dst", "kind", "label", "x0", "y0", "x1", "y1", "back", "highlighted",
]  # fmt: skip


@dataclass(frozen=True, eq=False)
class GraphState:
    """Everything a graph view draws for one method.

    ``nodes`` columns: ``node`` (global number in :class:`~workbench.analysis.tables.
    CodeTables`, the ``node`` of impact frames), ``id`` (CPG id in its module), ``kind``,
    ``label`` (short, escaped), ``hover`` (escaped HTML: kind, line, code), ``code`` and
    ``name`` (escaped), ``line``, ``end_line``, ``x``, ``y``, ``cfg`` (in the control
    flow), ``external`` (a callee of a CALL edge, outside the method), ``selected``,
    ``highlighted``. ``edges`` columns: ``src``, ``dst`` (global numbers), ``kind``,
    ``label`` (escaped), ``x0``, ``y0``, ``x1``, ``y1``, ``back`` (a CFG back edge: the
    only edges drawn upwards) and ``highlighted``.
    """

    method: str  #: full name of the method (escaped)
    method_node: int  #: global number of its METHOD node
    nodes: pd.DataFrame
    edges: pd.DataFrame
    layers: tuple[str, ...]
    layout: str
    summary: str  #: one line for the view's status bar (escaped)
    truncated: bool  #: only the statements are shown (the method was over ``max_nodes``)
    size: int  #: nodes of the method, before any summarising

    def __repr__(self) -> str:
        return f"<GraphState {self.summary}>"


def graph_state(
    cpg_or_tables,
    method: str | int,
    *,
    module: str | int | None = None,
    layers: str | Iterable[str] = ("CFG",),
    highlight: Sequence[int] = (),
    selected: int | None = None,
    layout: str | None = None,
    max_nodes: int = 2000,
) -> GraphState:
    """The nodes and edges of one method, laid out and labelled for drawing.

    Parameters
    ----------
    cpg_or_tables
        A :class:`~workbench.analysis.tables.CodeTables`, or anything
        :meth:`CodeTables.read <workbench.analysis.tables.CodeTables.read>` reads (a CPG, a
        store, a project). Pass tables when drawing many methods: reading is the cost.
    method
        Full name or unique suffix, or a METHOD id with ``module``
        (:meth:`CodeTables.find_method <workbench.analysis.tables.CodeTables.find_method>`).
    layers
        Edge kinds to show, from :data:`LAYERS` (case-insensitive).
    highlight
        A path of global node numbers (an impact path, a taint trace): those nodes and the
        shown edges between consecutive ones (either direction) are flagged. Nodes of other
        methods are ignored.
    selected
        A global node number to flag as selected.
    layout
        ``"flow"`` or ``"tree"``; by default ``"tree"`` when only the AST is shown.
    max_nodes
        Above this many nodes the method is summarised to its statements; above it even
        then, :class:`GraphTooLargeError`.

    Raises
    ------
    workbench.errors.NotFoundError
        No such method (from ``find_method``).
    workbench.errors.WorkbenchError
        An unknown layer or layout, or a bad ``max_nodes``.
    GraphTooLargeError
        The method's statements alone are more than ``max_nodes``.

    Examples
    --------
    >>> import workbench as wb
    >>> cpg = wb.build_cpg("def f(x):\\n    return x\\n", path="m.py")
    >>> s = graph_state(cpg, "m.f", layers=["ast", "cfg"])
    >>> s.layers, s.layout, len(s.nodes), sorted(set(s.edges.kind))
    (('AST', 'CFG'), 'flow', 6, ['AST', 'CFG'])
    """
    layers = _layers(layers)
    if layout is None:
        layout = "tree" if layers == (str(EdgeKind.AST),) else "flow"
    if layout not in LAYOUTS:
        raise WorkbenchError(f"unknown layout {layout!r}: choose one of {', '.join(LAYOUTS)}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int | np.integer) or max_nodes < 1:
        raise WorkbenchError(f"max_nodes is a positive integer, not {max_nodes!r}")
    t = _tables(cpg_or_tables)
    g = t.find_method(method, module)
    full_name = str(t.method_full_name[g])

    gs = np.flatnonzero(t.node_method == g)  # sorted: source order
    size = len(gs)
    cfg_s, cfg_d, cfg_rows = _inside(t, gs, str(EdgeKind.CFG))
    truncated = False
    if size > max_nodes:
        stmts = np.union1d(np.union1d(cfg_s, cfg_d), [g])
        if len(stmts) > max_nodes:
            raise GraphTooLargeError(
                f"method {full_name} has {size:,} nodes and {len(stmts):,} statements, over "
                f"the limit of {max_nodes:,} (max_nodes=): draw a smaller method, or pass a "
                "larger max_nodes",
                size=size,
                limit=max_nodes,
            )
        gs, truncated = stmts, True
    n = len(gs)
    local = {int(v): i for i, v in enumerate(gs.tolist())}
    parent = _kept_parents(t, gs, local, g)
    cfg_local = (np.searchsorted(gs, cfg_s), np.searchsorted(gs, cfg_d))
    in_cfg = np.zeros(n, bool)
    in_cfg[cfg_local[0]] = True
    in_cfg[cfg_local[1]] = True
    in_cfg[local[g]] = True

    if layout == "flow":
        x, y, back = _flow_layout(n, local[g], *cfg_local, in_cfg, parent)
        back_pairs = {(int(gs[v]), int(gs[w])) for v, w in back}
    else:
        x, y = _tree_layout(n, parent)
        back_pairs = set()

    # -- edges --------------------------------------------------------------------------------
    parts = []
    callees = np.zeros(0, np.int64)
    for kind in layers:
        if kind == str(EdgeKind.AST):
            child = np.flatnonzero(parent >= 0)
            src, dst = gs[parent[child]], gs[child]
            labels = [""] * len(src)
        else:
            if kind == str(EdgeKind.CFG):
                src, dst, rows = cfg_s, cfg_d, cfg_rows
            else:
                src, dst, rows = _inside(t, gs, kind, outside_dst=kind == str(EdgeKind.CALL))
            labels = [_esc(lab) for lab in t.labels(rows)]
            if kind == str(EdgeKind.CALL):
                callees = np.union1d(callees, np.setdiff1d(dst, gs))
        parts.append((kind, src, dst, labels))

    # callees of CALL edges: external nodes in a column right of the method
    ext = callees
    all_g = np.concatenate([gs, ext])
    if len(ext):
        xs_right = (x.max() if n else 0.0) + 2 * X_SEP
        calls_y: dict[int, list[float]] = {}
        for kind, src, dst, _ in parts:
            if kind == str(EdgeKind.CALL):
                for s, d in zip(src.tolist(), dst.tolist(), strict=True):
                    calls_y.setdefault(d, []).append(float(y[local[s]]))
        ey = np.array([min(calls_y[int(d)]) for d in ext])
        ey_final = np.empty(len(ext))
        last = -np.inf  # in the order of their first call, at least one layer apart
        for o in np.lexsort((ext, ey)).tolist():
            last = max(float(ey[o]), last + 1.0)
            ey_final[o] = last
        x = np.concatenate([x, np.full(len(ext), xs_right)])
        y = np.concatenate([y, ey_final])
    pos = {int(v): i for i, v in enumerate(all_g.tolist())}

    hl = [int(h) for h in highlight]
    hl_pairs = set(itertools.pairwise(hl))
    hl_pairs |= {(b, a) for a, b in hl_pairs}

    edge_frames = []
    counts = []
    for kind, src, dst, labels in parts:
        si = np.array([pos[int(s)] for s in src.tolist()], np.int64)
        di = np.array([pos[int(d)] for d in dst.tolist()], np.int64)
        pairs = list(zip(src.tolist(), dst.tolist(), strict=True))
        back = (
            np.array([p in back_pairs for p in pairs], bool)
            if kind == str(EdgeKind.CFG)
            else np.zeros(len(pairs), bool)
        )
        edge_frames.append(
            pd.DataFrame(
                {
                    "src": src.astype(np.int64),
                    "dst": dst.astype(np.int64),
                    "kind": kind,
                    "label": labels,
                    "x0": x[si] if len(si) else np.zeros(0),
                    "y0": y[si] if len(si) else np.zeros(0),
                    "x1": x[di] if len(di) else np.zeros(0),
                    "y1": y[di] if len(di) else np.zeros(0),
                    "back": back,
                    "highlighted": np.array([p in hl_pairs for p in pairs], bool),
                },
                columns=EDGE_COLUMNS,
            )
        )
        counts.append(f"{len(pairs)} {kind} edge{'s' * (len(pairs) != 1)}")
    edges = (
        pd.concat(edge_frames, ignore_index=True)
        if edge_frames
        else pd.DataFrame({c: [] for c in EDGE_COLUMNS})
    )

    # -- nodes --------------------------------------------------------------------------------
    nodes = _node_frame(t, all_g, x, y, in_cfg, n, set(hl), selected)
    hl_in = int(nodes["highlighted"].sum())
    summary = f"{full_name}: {n:,} nodes" + (f" ({len(ext)} callees)" if len(ext) else "")
    if counts:
        summary += ", " + ", ".join(counts)
    if truncated:
        summary += (
            f"; summarised: statements only ({n:,} of {size:,} nodes, max_nodes={max_nodes:,})"
        )
    if hl:
        summary += f"; {hl_in} of {len(set(hl))} highlighted nodes here"
    return GraphState(
        method=_esc(full_name),
        method_node=int(g),
        nodes=nodes,
        edges=edges,
        layers=layers,
        layout=layout,
        summary=_esc(summary),
        truncated=truncated,
        size=size,
    )


# -- helpers ---------------------------------------------------------------------------------


def _esc(value) -> str:
    return "" if value is None else esc(value)


def _layers(layers) -> tuple[str, ...]:
    if isinstance(layers, str):
        layers = [layers]
    out = []
    for layer in layers:
        name = str(layer).upper()
        if name not in LAYERS:
            raise WorkbenchError(f"unknown layer {layer!r}: choose from {', '.join(LAYERS)}")
        if name not in out:
            out.append(name)
    return tuple(out)


def _tables(source):
    from workbench.analysis.tables import CodeTables

    return source if isinstance(source, CodeTables) else CodeTables.read(source)


def _inside(t, gs: np.ndarray, kind: str, *, outside_dst: bool = False):
    """``(src, dst, rows)`` of the edges of ``kind`` from a node of ``gs`` (to one too,
    unless ``outside_dst``), sorted by (src, dst)."""
    src, dst, rows = t.edges_of(kind)
    ok = np.isin(src, gs)
    if not outside_dst:
        ok &= np.isin(dst, gs)
    src, dst, rows = src[ok], dst[ok], rows[ok]
    order = np.lexsort((dst, src))
    return src[order], dst[order], rows[order]


def _kept_parents(t, gs: np.ndarray, local: dict[int, int], g: int) -> np.ndarray:
    """Local index of each kept node's nearest kept AST ancestor (-1 for none)."""
    par = t.node_parent
    out = np.full(len(gs), -1, np.int64)
    for i, v in enumerate(gs.tolist()):
        if v == g:
            continue
        p = int(par[v])
        while p >= 0 and p not in local:
            if p == g or t.node_method[p] != g:
                p = -1
                break
            p = int(par[p])
        out[i] = local.get(p, -1) if p >= 0 else -1
    return out


def _flow_layout(n, entry, cs, cd, in_cfg, parent):
    """Layered layout of the CFG; other nodes hang below their nearest CFG ancestor."""
    succ: list[list[int]] = [[] for _ in range(n)]
    for s, d in zip(cs.tolist(), cd.tolist(), strict=True):
        succ[s].append(d)
    # depth-first search from the entry, then from any CFG node it missed: back edges
    state = np.zeros(n, np.int8)  # 0 new, 1 on the stack, 2 done
    post: list[int] = []
    back: set[tuple[int, int]] = set()
    starts = [entry] + [int(v) for v in np.flatnonzero(in_cfg) if v != entry]
    for root in starts:
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, iter(succ[root]))]
        while stack:
            v, it = stack[-1]
            for w in it:
                if state[w] == 0:
                    state[w] = 1
                    stack.append((w, iter(succ[w])))
                    break
                if state[w] == 1:
                    back.add((v, w))
            else:
                state[v] = 2
                post.append(v)
                stack.pop()
    # longest path from the entry over forward edges, in reverse postorder
    rank = np.zeros(n, np.int64)
    preds: list[list[int]] = [[] for _ in range(n)]
    fsucc: list[list[int]] = [[] for _ in range(n)]
    for v in reversed(post):
        for w in succ[v]:
            if (v, w) not in back:
                rank[w] = max(rank[w], rank[v] + 1)
                preds[w].append(v)
                fsucc[v].append(w)
    cfg_nodes = post[::-1]
    top = int(rank[cfg_nodes].max()) + 1 if cfg_nodes else 0
    layer_of: list[list[int]] = [[] for _ in range(top)]
    for v in sorted(cfg_nodes):  # source order first
        layer_of[rank[v]].append(v)
    xpos = np.zeros(n)

    def place():
        for row in layer_of:
            c = (len(row) - 1) / 2
            for i, v in enumerate(row):
                xpos[v] = (i - c) * X_SEP

    place()
    for sweep in range(4):  # down, up, down, up
        rng = range(1, top) if sweep % 2 == 0 else range(top - 2, -1, -1)
        nbrs = preds if sweep % 2 == 0 else fsucc
        for r in rng:
            row = layer_of[r]
            keys = [
                (np.mean([xpos[u] for u in nbrs[v]]) if nbrs[v] else xpos[v], i)
                for i, v in enumerate(row)
            ]
            layer_of[r] = [row[i] for _, i in sorted(keys)]
            c = (len(row) - 1) / 2
            for i, v in enumerate(layer_of[r]):
                xpos[v] = (i - c) * X_SEP
    y = rank.astype(float)
    x = xpos
    # nodes outside the CFG: below their nearest CFG ancestor, fanned out to its right
    anchor = np.full(n, -1, np.int64)
    for v in range(n):
        if in_cfg[v]:
            continue
        p = parent[v]
        while p >= 0 and not in_cfg[p]:
            p = parent[p]
        anchor[v] = p
    fan: dict[int, list[int]] = {}
    for v in np.flatnonzero(~in_cfg).tolist():
        fan.setdefault(int(anchor[v]), []).append(v)
    for a, vs in fan.items():
        m = len(vs)
        for k, v in enumerate(vs):
            if a >= 0:
                x[v] = x[a] + X_SEP * 0.8 * (k + 1) / (m + 1)
                y[v] = y[a] + ATTACH_DY
            else:  # no CFG ancestor: a row under the whole graph
                x[v] = (k - (m - 1) / 2) * X_SEP
                y[v] = top
    return x, y, back


def _tree_layout(n, parent):
    """Tree by depth: leaves at consecutive x in source order, parents over their children."""
    children: list[list[int]] = [[] for _ in range(n)]
    roots = []
    for v in range(n):
        (children[parent[v]] if parent[v] >= 0 else roots).append(v)
    x = np.zeros(n)
    y = np.zeros(n)
    next_leaf = 0.0
    for root in roots:
        stack = [(root, 0, False)]
        while stack:
            v, depth, done = stack.pop()
            if done:
                kids = children[v]
                x[v] = (x[kids[0]] + x[kids[-1]]) / 2
                continue
            y[v] = depth
            if not children[v]:
                x[v] = next_leaf
                next_leaf += X_SEP
                continue
            stack.append((v, depth, True))
            stack.extend((c, depth + 1, False) for c in reversed(children[v]))
    return x, y


def _short(kind: str, subkind, name, code) -> str:
    if kind in (NodeKind.METHOD, NodeKind.IDENTIFIER, NodeKind.METHOD_PARAMETER_IN):
        text = name or kind
    elif kind in (NodeKind.CALL, NodeKind.LITERAL):
        text = code or (name or "").removeprefix("<operator>.") or kind
    elif kind == NodeKind.CONTROL_STRUCTURE:
        text = (subkind or kind).lower()
    elif kind == NodeKind.RETURN:
        text = "return"
    elif kind == NodeKind.METHOD_RETURN:
        text = "EXIT"
    else:
        text = code or (f"{kind} {subkind}" if subkind else kind)
    text = " ".join(str(text).split())
    if len(text) > LABEL_CHARS:
        text = text[: LABEL_CHARS - 1] + "…"
    return _esc(text)


def _node_frame(t, all_g, x, y, in_cfg, n, hl: set[int], selected) -> pd.DataFrame:
    import pyarrow as pa

    idx = pa.array(all_g.astype(np.int64), pa.int64())
    cols = t.nodes.select(["id", "kind", "subkind", "name", "full_name", "line", "end_line"])
    cols = cols.take(idx).to_pydict()
    codes = t.code(all_g).to_pylist()
    labels, hovers, names, escaped_code = [], [], [], []
    for i in range(len(all_g)):
        kind, sub, code = cols["kind"][i], cols["subkind"][i], codes[i]
        name = cols["full_name"][i] if i >= n else cols["name"][i]
        labels.append(_short(kind, sub, name, code))
        names.append(_esc(name))
        code_e = _esc(code)
        escaped_code.append(code_e)
        line = cols["line"][i]
        hover = f"<b>{_esc(kind)}</b>" + (f" {_esc(sub)}" if sub else "")
        hover += f" · line {line}" if line is not None else ""
        if name:
            hover += f"<br>{_esc(name)}"
        if code:
            short = code if len(code) <= HOVER_CHARS else code[: HOVER_CHARS - 1] + "…"
            hover += "<br><code>" + _esc(short).replace("\n", "<br>") + "</code>"
        hovers.append(hover)
    cfg = np.zeros(len(all_g), bool)
    cfg[:n] = in_cfg
    external = np.zeros(len(all_g), bool)
    external[n:] = True
    return pd.DataFrame(
        {
            "node": all_g.astype(np.int64),
            "id": np.asarray(cols["id"], np.int64),
            "kind": cols["kind"],
            "label": labels,
            "hover": hovers,
            "code": escaped_code,
            "name": names,
            "line": pd.array(cols["line"], "Int64"),
            "end_line": pd.array(cols["end_line"], "Int64"),
            "x": x.astype(float),
            "y": y.astype(float),
            "cfg": cfg,
            "external": external,
            "selected": all_g == (-1 if selected is None else int(selected)),
            "highlighted": np.isin(all_g, np.fromiter(hl, np.int64, len(hl))),
        },
        columns=NODE_COLUMNS,
    )
