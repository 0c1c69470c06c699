"""Turn a :class:`~workbench.frontends.python.builder.ModuleBuild` into Arrow tables.

Columns are built once per module from plain lists and cast to the declared schema.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from workbench.cpg.schema import EDGES, METHODS, NODES
from workbench.frontends.python.builder import EDGE_ORDER, R_FULL, R_NAME, R_RES, ModuleBuild

_KIND_DICT = pa.array([str(k) for k in EDGE_ORDER], pa.string())


def _patched(col: tuple, patch: dict[int, str]) -> list:
    if not patch:
        return col
    col = list(col)
    for i, v in patch.items():
        col[i] = v
    return col


def to_tables(build: ModuleBuild, module_key: int) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Nodes, edges and methods of one module, in the canonical schemas."""
    rows = build.rows
    n = len(rows)
    cols = list(zip(*rows, strict=True)) if rows else [()] * 14
    names, fulls, ress = build.names
    cols[R_NAME] = _patched(cols[R_NAME], names)
    cols[R_FULL] = _patched(cols[R_FULL], fulls)
    cols[R_RES] = _patched(cols[R_RES], ress)
    key = pa.array(np.full(n, module_key, dtype=np.int64))
    s, i32 = pa.string(), pa.int32()
    nodes = pa.Table.from_arrays(
        [
            key,
            pa.array(np.arange(n, dtype=np.int32)),
            pa.array(cols[0], s),
            pa.array(cols[1], s),
            pa.array(cols[2], s),
            pa.array(cols[3], s),
            pa.array(cols[4], s),
            pa.array(cols[5], s),
            pa.array(cols[6], i32),
            pa.array(cols[7], i32),
            pa.array(cols[8], i32),
            pa.array(cols[9], i32),
            pa.array(cols[10], i32),
            pa.array(cols[11], i32),
            pa.array(cols[12], i32),
            pa.array(cols[13], s),
            pa.array(build.reachable, pa.bool_()),
        ],
        schema=NODES,
    )

    # AST edges come from the parent column: every node but the root has one parent.
    parent = cols[10]
    src: list = list(parent[1:])
    dst: list = list(range(1, n))
    lab: list = [None] * (n - 1 if n else 0)
    counts = [len(src)]
    for es, ed, el in build.edges[1:]:
        src += es
        dst += ed
        lab += el
        counts.append(len(es))
    total = len(src)
    kinds = pa.DictionaryArray.from_arrays(
        pa.array(np.repeat(np.arange(len(EDGE_ORDER), dtype=np.int8), counts)), _KIND_DICT
    ).cast(s)
    edges = pa.Table.from_arrays(
        [
            pa.array(np.full(total, module_key, dtype=np.int64)),
            pa.array(src, i32),
            pa.array(dst, i32),
            kinds,
            pa.array(lab, s),
            pa.nulls(total, pa.int64()),
        ],
        schema=EDGES,
    )

    mrows = sorted(build.method_rows, key=lambda r: r[0])
    mcols = list(zip(*mrows, strict=True))
    m = len(mrows)
    methods = pa.Table.from_arrays(
        [pa.array(np.full(m, module_key, dtype=np.int64))]
        + [pa.array(c, f.type) for c, f in zip(mcols, list(METHODS)[1:], strict=True)],
        schema=METHODS,
    )
    return nodes, edges, methods
