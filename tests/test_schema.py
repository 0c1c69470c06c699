"""The schema is declared once and every table we produce conforms to it."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import workbench as wb
from workbench.cpg import schema as S
from workbench.errors import NotFoundError

SRC = """
import os
class A:
    def m(self, x):
        try:
            os.system(x)
        except OSError as e:
            raise RuntimeError(e) from e
        return [y for y in x if y]
"""


@pytest.mark.parametrize("name", sorted(S.TABLES))
def test_every_field_is_documented_and_versioned(name):
    schema = S.TABLES[name]
    assert schema.metadata[b"workbench.table"].decode() == name
    assert S.table_version(schema) in (1, 2)
    for f in schema:
        assert f.metadata and f.metadata[b"doc"].strip(), f"{name}.{f.name} has no doc"


def test_v2_modules_is_v1_plus_cpg_fields():
    assert S.MODULES.names == S.MODULES_V1.names + [f.name for f in S.MODULES_CPG_FIELDS]
    assert S.table_version(S.MODULES_V1) == 1 and S.table_version(S.MODULES) == 2


def test_built_tables_conform_and_values_come_from_the_enums():
    cpg = wb.build_cpg(SRC, path="pkg/m.py")
    assert cpg.nodes.schema == S.NODES
    assert cpg.edges.schema == S.EDGES
    assert cpg.methods.schema == S.METHODS
    assert set(cpg.nodes["kind"].to_pylist()) <= set(S.NodeKind)
    subkinds = {s for s in cpg.nodes["subkind"].to_pylist() if s}
    literal_types = {"int", "str", "bytes", "float", "complex", "bool", "NoneType", "ellipsis"}
    assert subkinds <= set(S.Subkind) | literal_types
    assert set(cpg.edges["kind"].to_pylist()) <= set(S.EdgeKind)
    cfg = cpg.edges.filter(pa.compute.equal(cpg.edges["kind"], "CFG"))
    assert {lab for lab in cfg["label"].to_pylist() if lab} <= set(S.CfgLabel)
    res = {r for r in cpg.nodes["resolution"].to_pylist() if r}
    assert res <= set(S.Resolution)


def test_parquet_round_trip_keeps_the_schema(tmp_path):
    cpg = wb.build_cpg(SRC, path="pkg/m.py")
    for name, table in cpg.to_arrow().items():
        path = tmp_path / f"{name}.parquet"
        pq.write_table(table, path, compression="zstd", write_page_checksum=True)
        back = pq.read_table(path)
        assert back.schema.equals(table.schema, check_metadata=True), name
        assert back.equals(table), name
    frames = cpg.to_pandas()
    back = pa.Table.from_pandas(frames.nodes, preserve_index=False).cast(S.NODES)
    assert back.equals(cpg.nodes)


def test_describe():
    df = S.describe("cpg_nodes")
    assert list(df.columns) == ["column", "type", "nullable", "doc"]
    assert df.column.tolist() == S.NODES.names
    with pytest.raises(NotFoundError, match="cpg_nodes"):
        S.describe("nope")
