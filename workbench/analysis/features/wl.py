"""Weisfeiler-Lehman structural hashes of methods, and the clone groups they reveal.

Every node a method holds starts with a label made of what is *structural* about it: its
kind, subkind (a LITERAL's subkind is the value's type), ``ast_type``, and for operator and
pattern CALLs (``<operator>.addition``, ``<pattern>.class``) the operator name. Identifier,
parameter, attribute and callee names, literal values, source text and lines are left out, so
two methods that differ only by a consistent renaming of variables or by constant values hash
equal.

Then, ``iterations`` times, each node's label becomes a hash of its label and of the multiset
of its neighbours' labels, each paired with the edge that leads there: AST (with the child's
position), CFG (with its label: true, false, exception or none), CDG (with the branch label)
and REACHING_DEF (without the variable), each direction marked. Only edges whose two ends the
same method holds count (a nested function, lambda or comprehension is its own method; the
enclosing method sees its METHOD_REF node only). A method's hash is a hash of the sorted
multiset of its nodes' final labels (a final label determines the node's earlier ones, so
this covers every iteration).

Labels are 64-bit integers mixed with splitmix64, seeded from BLAKE2b digests of the label
strings: hashes are the same across runs, machines and stores. All methods are hashed at
once with numpy (a neighbour multiset is a sum modulo 2**64 of mixed values, grouped by node
with a sort and ``np.add.reduceat``).

Examples
--------
>>> import workbench as wb
>>> src = '''
... def area(w, h):
...     if w > 0:
...         return w * h
...     return 0
...
... def volume(a, b):
...     if a > 1:
...         return a * b
...     return 10
...
... def other(a, b):
...     while a > 1:
...         return a * b
...     return 10
... '''
>>> h = wl_hashes(wb.build_cpg(src, path="m.py")).set_index("full_name")["wl_hash"]
>>> h["m.area"] == h["m.volume"], h["m.area"] == h["m.other"]
(True, False)
"""

from __future__ import annotations

import hashlib
import numbers
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.analysis.features.table import MethodIndex, as_tables
from workbench.analysis.tables import EDGE_KINDS, NODE_KINDS, CodeTables
from workbench.cpg.schema import EdgeKind, NodeKind, Subkind
from workbench.errors import AlgorithmError

__all__ = ["WL_EDGES", "clone_report", "splitmix64", "wl_hashes"]

#: The edge kinds WL hashing follows.
WL_EDGES = (EdgeKind.AST, EdgeKind.CFG, EdgeKind.CDG, EdgeKind.REACHING_DEF)
#: Edge kinds whose label is part of the edge's label (the others' labels are names).
_LABELLED = (EdgeKind.CFG, EdgeKind.CDG)
#: CALL subkinds whose name (``<operator>.*``, ``<pattern>.*``) is structural.
_NAMED_CALLS = (Subkind.OPERATOR, Subkind.PATTERN)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, elementwise on a ``uint64`` array (wrapping arithmetic).

    >>> splitmix64(np.array([0, 1], np.uint64)).tolist()
    [16294208416658607535, 10451216379200822465]
    """
    with np.errstate(over="ignore"):
        z = np.asarray(x, np.uint64) + _GOLDEN
        z ^= z >> np.uint64(30)
        z *= _MIX1
        z ^= z >> np.uint64(27)
        z *= _MIX2
        z ^= z >> np.uint64(31)
        return z


def wl_hashes(tables: Any, *, iterations: int = 3) -> pd.DataFrame:
    """The Weisfeiler-Lehman hash of every method's graph.

    Parameters
    ----------
    tables
        :class:`~workbench.analysis.tables.CodeTables`, or a CPG, Project or Store to read.
    iterations
        Rounds of neighbourhood aggregation (0: the multiset of node labels only).

    Returns
    -------
    pandas.DataFrame
        One row per method, sorted by (module, id): ``module``, ``path``, ``id``,
        ``full_name``, ``nodes`` (held nodes) and ``wl_hash`` (16 hex digits).

    Raises
    ------
    TypeError
        ``tables`` is not one of the above, or ``iterations`` is not an integer (any
        integer type, numpy included; not ``bool``).
    workbench.errors.AlgorithmError
        ``iterations`` is negative (a :class:`ValueError`).

    Examples
    --------
    >>> import workbench as wb
    >>> src = "def f(x):\\n    return x + 1\\n\\ndef g(y):\\n    return y + 2\\n"
    >>> df = wl_hashes(wb.build_cpg(src, path="m.py"))
    >>> df[["full_name", "nodes"]]
        full_name  nodes
    0  m.<module>      5
    1         m.f      8
    2         m.g      8
    >>> df["wl_hash"][1] == df["wl_hash"][2], len(df["wl_hash"][1])
    (True, 16)
    """
    iterations = _count("wl_hashes", "iterations", iterations)
    t = as_tables(tables, "wl_hashes")
    ix = MethodIndex(t)
    label = _node_labels(t)
    src, dst, elabel = _edges(t, ix)
    out_edges, in_edges = _Grouped(src, len(t)), _Grouped(dst, len(t))
    h_out = splitmix64(elabel ^ _seed("direction=out"))
    h_in = splitmix64(elabel ^ _seed("direction=in"))
    s_out, s_in = _seed("aggregate=out"), _seed("aggregate=in")
    with np.errstate(over="ignore"):
        for _ in range(iterations):
            agg_out = out_edges.sum(splitmix64(h_out + label[dst]))
            agg_in = in_edges.sum(splitmix64(h_in + label[src]))
            label = splitmix64(label + splitmix64(agg_out ^ s_out) + splitmix64(agg_in ^ s_in))
    held = np.flatnonzero(ix.node_row >= 0)
    digest = _multiset_hash(ix.node_row[held], label[held], ix.count)
    m = t.methods
    return pd.DataFrame(
        {
            "module": m["module"].to_numpy(),
            "path": ix.paths.to_pandas(),
            "id": m["id"].to_numpy().astype(np.int32),
            "full_name": m["full_name"].to_pandas(),
            "nodes": np.bincount(ix.node_row[held], minlength=ix.count).astype(np.int32),
            "wl_hash": _hex(digest),
        }
    )


def clone_report(tables_or_hashes: Any, *, min_nodes: int = 20) -> pd.DataFrame:
    """Groups of two or more methods with the same WL hash: structural clones.

    Parameters
    ----------
    tables_or_hashes
        The frame :func:`wl_hashes` returned, or what it reads (hashed with 3 iterations).
    min_nodes
        Leave out methods holding fewer nodes (tiny methods are alike by chance).

    Returns
    -------
    pandas.DataFrame
        One row per group: ``group`` (1, 2, ...), ``wl_hash``, ``size`` (methods),
        ``nodes`` (held nodes of each), ``members`` (full names, sorted) and ``paths`` (each
        member's module path, in the order of ``members``). Groups come largest first, then
        by nodes (descending), then by hash.

    Raises
    ------
    TypeError
        ``tables_or_hashes`` is none of the above, or ``min_nodes`` is not an integer (any
        integer type, numpy included; not ``bool``).
    ValueError
        A frame without the columns of :func:`wl_hashes`, or a negative ``min_nodes``
        (:class:`~workbench.errors.AlgorithmError`).

    Examples
    --------
    >>> import workbench as wb
    >>> src = "".join(f"def f{i}(a):\\n    b = a * {i}\\n    return b + a\\n" for i in range(3))
    >>> clone_report(wb.build_cpg(src, path="m.py"), min_nodes=5)[["group", "size", "members"]]
       group  size                 members
    0      1     3  [m.f0, m.f1, m.f2]
    """
    min_nodes = _count("clone_report", "min_nodes", min_nodes)
    if isinstance(tables_or_hashes, pd.DataFrame):
        need = {"full_name", "path", "nodes", "wl_hash"}
        if not need <= set(tables_or_hashes.columns):
            missing = ", ".join(sorted(need - set(tables_or_hashes.columns)))
            raise ValueError(
                f"clone_report() needs the frame wl_hashes() returns; missing {missing}"
            )
        h = tables_or_hashes
    else:
        h = wl_hashes(as_tables(tables_or_hashes, "clone_report"))
    h = h.loc[h["nodes"] >= min_nodes, ["wl_hash", "nodes", "full_name", "path"]]
    h = h.assign(path=h["path"].astype(object).where(h["path"].notna(), None))
    h = h.sort_values(["wl_hash", "full_name", "path"], kind="stable", na_position="first")
    size = h.groupby("wl_hash", sort=False)["full_name"].transform("size")
    h = h[size >= 2]
    groups = h.groupby("wl_hash", sort=True).agg(
        size=("full_name", "size"),
        nodes=("nodes", "max"),
        members=("full_name", list),
        paths=("path", list),
    )
    groups = groups.reset_index().sort_values(
        ["size", "nodes", "wl_hash"], ascending=[False, False, True], kind="stable"
    )
    groups.insert(0, "group", np.arange(1, len(groups) + 1, dtype=np.int64))
    cols = ["group", "wl_hash", "size", "nodes", "members", "paths"]
    out = groups[cols].reset_index(drop=True)
    return out.astype({"size": np.int64, "nodes": np.int64})


# -- helpers ------------------------------------------------------------------------------


def _count(caller: str, name: str, value: object) -> int:
    """An integer parameter (any integer type, not bool) >= 0, as a plain int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{caller}(): {name} must be an integer >= 0 (int or numpy integer), "
            f"not {type(value).__name__}"
        )
    if value < 0:
        raise AlgorithmError(f"{caller}(): {name} must be an integer >= 0, not {value}")
    return int(value)


def _seed(text: str) -> np.uint64:
    """A stable 64-bit value for a label string."""
    return np.uint64(
        int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
    )


def _encode(values: pa.ChunkedArray | pa.Array, field: str) -> np.ndarray:
    """The seed of ``field=value`` for each value (``field=`` for nulls)."""
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    enc = pc.dictionary_encode(arr)
    words = enc.dictionary.to_pylist()
    seeds = np.array([_seed(f"{field}={w}") for w in words] + [_seed(f"{field}=")], np.uint64)
    idx = pc.fill_null(enc.indices, len(words)).to_numpy(zero_copy_only=False)
    return seeds[idx]


def _node_labels(t: CodeTables) -> np.ndarray:
    """The initial label of every node: kind, subkind, ast_type, operator name."""
    kinds = np.array([_seed(f"kind={k}") for k in NODE_KINDS] + [_seed("kind=")], np.uint64)
    k = t.node_kind.astype(np.int64)
    kind = kinds[np.where(k >= 0, k, len(NODE_KINDS))]
    n = t.nodes
    named = pc.and_(
        pc.equal(n["kind"], str(NodeKind.CALL)),
        pc.is_in(n["subkind"], pa.array([str(s) for s in _NAMED_CALLS])),
    )
    op = pc.if_else(pc.fill_null(named, False), n["name"], pa.scalar(None, pa.string()))
    with np.errstate(over="ignore"):
        h = splitmix64(kind + _encode(n["subkind"], "subkind"))
        h = splitmix64(h + _encode(n["ast_type"], "ast_type"))
        return splitmix64(h + _encode(op, "operator"))


def _edges(t: CodeTables, ix: MethodIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source, destination and label of the WL edges inside one method."""
    src, dst, rows = t.edges_of(*WL_EDGES)
    same = (ix.node_row[src] >= 0) & (t.node_method[src] == t.node_method[dst])
    src, dst, rows = src[same], dst[same], rows[same]
    code = t.edge_kind[rows].astype(np.int64)
    kinds = np.array([_seed(f"edge={k}") for k in EDGE_KINDS], np.uint64)
    labelled = np.isin(code, [EDGE_KINDS.index(k) for k in _LABELLED])
    text = t.edge_label.take(pa.array(rows, pa.int64()))
    text = pc.if_else(pa.array(labelled), text, pa.scalar(None, pa.string()))
    order = pc.fill_null(t.nodes["order"], 0).to_numpy().astype(np.uint64)[dst]
    order = np.where(code == EDGE_KINDS.index(EdgeKind.AST), order, np.uint64(0))
    with np.errstate(over="ignore"):
        h = splitmix64(kinds[code] + _encode(text, "label"))
        return src, dst, splitmix64(h + order)


class _Grouped:
    """Sums of per-edge values grouped by an endpoint (sort once, ``reduceat`` each time)."""

    def __init__(self, keys: np.ndarray, n: int):
        self.order = np.argsort(keys, kind="stable")
        self.keys, self.starts = np.unique(keys[self.order], return_index=True)
        self.n = n

    def sum(self, values: np.ndarray) -> np.ndarray:
        out = np.zeros(self.n, np.uint64)
        if len(self.keys):
            out[self.keys] = np.add.reduceat(values[self.order], self.starts)
        return out


def _multiset_hash(rows: np.ndarray, labels: np.ndarray, m: int) -> np.ndarray:
    """A hash of the sorted multiset of ``labels`` of each row ``0..m-1``."""
    order = np.argsort(labels)
    order = order[np.argsort(rows[order], kind="stable")]
    rows, labels = rows[order], labels[order]
    count = np.bincount(rows, minlength=m)
    first = np.concatenate([[0], np.cumsum(count)[:-1]]) if m else np.zeros(0, np.int64)
    pos = (np.arange(len(rows)) - first[rows]).astype(np.uint64)
    out = np.zeros(m, np.uint64)
    with np.errstate(over="ignore"):
        terms = splitmix64(labels + splitmix64(pos))
        present = np.flatnonzero(count)
        if len(present):
            out[present] = np.add.reduceat(terms, first[present])
        return splitmix64(out ^ splitmix64(count.astype(np.uint64) + _seed("count")))


def _hex(values: np.ndarray) -> list[str]:
    raw = values.astype(">u8").tobytes().hex()
    return [raw[i : i + 16] for i in range(0, len(raw), 16)]
