"""Turn a :class:`~workbench.frontends.python.builder.ModuleBuild` into Arrow tables.

Columns are built once per module from plain lists and cast to the declared schema.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from workbench.cpg.schema import EDGES, METHODS, NODES
from workbench.frontends.python.builder import (
    EDGE_ORDER,
    R_AST,
    R_CODE,
    R_COL,
    R_ECOL,
    R_ELINE,
    R_FULL,
    R_KIND,
    R_LINE,
    R_METHOD,
    R_NAME,
    R_ORDER,
    R_PARENT,
    R_RES,
    R_SUBKIND,
    ROW_WIDTH,
    ModuleBuild,
)

_KIND_DICT = pa.array([str(k) for k in EDGE_ORDER], pa.string())

#: The node row columns in the order of ``cpg_nodes`` (after ``module`` and ``id``, before
#: ``reachable``), with their Arrow types.
_S, _I32 = pa.string(), pa.int32()
_NODE_COLUMNS = (
    (R_KIND, _S),
    (R_SUBKIND, _S),
    (R_AST, _S),
    (R_NAME, _S),
    (R_FULL, _S),
    (R_CODE, _S),
    (R_LINE, _I32),
    (R_COL, _I32),
    (R_ELINE, _I32),
    (R_ECOL, _I32),
    (R_PARENT, _I32),
    (R_ORDER, _I32),
    (R_METHOD, _I32),
    (R_RES, _S),
)


def _patched(col: tuple, patch: dict[int, str]) -> list:
    """``col`` with the values of ``patch`` (row index -> value) put in."""
    if not patch:
        return col
    col = list(col)
    for i, v in patch.items():
        col[i] = v
    return col


def to_tables(build: ModuleBuild, module_key: int) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Nodes, edges and methods of one module, in the canonical schemas."""
    rows = build.rows
    cols = list(zip(*rows, strict=True)) if rows else [()] * ROW_WIDTH
    cols[R_NAME] = _patched(cols[R_NAME], build.name_patch)
    cols[R_FULL] = _patched(cols[R_FULL], build.full_name_patch)
    cols[R_RES] = _patched(cols[R_RES], build.resolution_patch)
    return (
        _nodes(cols, build.reachable, module_key),
        _edges(build, cols[R_PARENT], module_key),
        _methods(build, module_key),
    )


def _nodes(cols: list, reachable: list[bool], module_key: int) -> pa.Table:
    """The ``cpg_nodes`` table from the node row columns."""
    n = len(reachable)
    return pa.Table.from_arrays(
        [
            pa.array(np.full(n, module_key, dtype=np.int64)),
            pa.array(np.arange(n, dtype=np.int32)),
            *(pa.array(cols[i], t) for i, t in _NODE_COLUMNS),
            pa.array(reachable, pa.bool_()),
        ],
        schema=NODES,
    )


def _edges(build: ModuleBuild, parent: tuple, module_key: int) -> pa.Table:
    """The ``cpg_edges`` table, grouped by kind in :data:`~.builder.EDGE_ORDER`.

    AST edges come from the parent column: every node but the root has one parent.
    """
    n = len(parent)
    src: list = list(parent[1:])
    dst: list = list(range(1, n))
    lab: list = [None] * (n - 1 if n else 0)
    counts = [len(src)]
    for _, columns in build.edges.in_order():
        src += columns.src
        dst += columns.dst
        lab += columns.label
        counts.append(len(columns.src))
    total = len(src)
    kinds = pa.DictionaryArray.from_arrays(
        pa.array(np.repeat(np.arange(len(EDGE_ORDER), dtype=np.int8), counts)), _KIND_DICT
    ).cast(_S)
    return pa.Table.from_arrays(
        [
            pa.array(np.full(total, module_key, dtype=np.int64)),
            pa.array(src, _I32),
            pa.array(dst, _I32),
            kinds,
            pa.array(lab, _S),
            pa.nulls(total, pa.int64()),
        ],
        schema=EDGES,
    )


def _methods(build: ModuleBuild, module_key: int) -> pa.Table:
    """The ``cpg_methods`` table, sorted by METHOD id (a row's fields are the columns)."""
    mrows = sorted(build.method_rows, key=lambda r: r.id)
    mcols = list(zip(*mrows, strict=True))
    m = len(mrows)
    return pa.Table.from_arrays(
        [pa.array(np.full(m, module_key, dtype=np.int64))]
        + [pa.array(c, f.type) for c, f in zip(mcols, list(METHODS)[1:], strict=True)],
        schema=METHODS,
    )
