"""The query layer: the builder compiles to one parameterised statement, metrics are right and
cached, legacy queries answer the same over the whole rollout, and the fallback answers from
the AST where the CPG cannot, saying so."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench import telemetry
from workbench.analysis.cpgmath import CPGMath
from workbench.analysis.query import (
    RELATIONS,
    FallbackWarning,
    Percentile,
    Query,
    execute_with_fallback,
    relations,
)
from workbench.analysis.query import sql as query_sql
from workbench.errors import FeatureDisabledError, QueryError
from workbench.store import migrations

#: Queries written against the v1 (AST-only) store: they must answer the same at every step
#: of the rollout.
LEGACY = {
    "functions": Query.from_("functions").order_by("module", "qualname", "line"),
    "modules": Query.from_("modules").select("path", "parse_status").order_by("path"),
    "per_module": Query.from_("functions")
    .select("module", "count(*) as n", "max(decision_points) as worst")
    .group_by("module")
    .order_by("module"),
    "complex": Query.from_("functions")
    .select("qualname", "decision_points", "nesting")
    .where("decision_points", ">=", 3)
    .where("name", "not in", ["main"])
    .order_by("-decision_points")
    .limit(7),
}
SQL_LEGACY = (
    "SELECT m.path, count(f.qualname) AS n FROM modules m LEFT JOIN functions f USING (module) "
    "GROUP BY m.path ORDER BY m.path"
)


@pytest.fixture(autouse=True)
def _fresh_telemetry():
    telemetry.clear()
    yield
    telemetry.clear()


def answers(store) -> dict[str, pa.Table]:
    out = {}
    for name, q in LEGACY.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error", FallbackWarning)  # a legacy query never falls back
            a = q.execute(store).df
            b = execute_with_fallback(q, store).df
        ta, tb = pa.Table.from_pandas(a), pa.Table.from_pandas(b)
        assert ta.equals(tb), name
        out[name] = ta
    out["sql"] = pa.Table.from_pandas(store.sql(SQL_LEGACY))
    return out


def assert_same(before: dict, after: dict, when: str) -> None:
    for name in before:
        assert before[name].num_rows > 0, name
        assert before[name].equals(after[name]), f"{name} changed {when}"


# -- the builder ---------------------------------------------------------------------------


def test_a_query_compiles_to_one_parameterised_statement():
    q = (
        Query.from_("functions")
        .select("qualname", "complexity")
        .where("qualname", "like", "%'; DROP TABLE functions; --")
        .where("complexity", "between", (2, 9))
        .order_by("-complexity")
        .limit(3)
    )
    sql = q.sql()
    assert sql.count(";") == 0 and "DROP" not in sql  # values are parameters, never text
    assert q.params() == ["%'; DROP TABLE functions; --", 2, 9, 3]
    assert sql.count("?") == 4


def test_values_that_look_like_sql_are_only_values(full_store):
    store, _ = full_store(100)
    before = store.sql("SELECT count(*) AS n FROM functions").n[0]
    evil = "x' OR '1'='1"
    assert Query.from_("functions").where("qualname", "=", evil).execute(store).rows == 0
    assert Query.from_("functions").where("qualname", "in", [evil, "x"]).execute(store).rows == 0
    assert store.sql("SELECT count(*) AS n FROM functions").n[0] == before


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: Query.from_("nope"), "unknown relation 'nope'"),
        (lambda: Query.from_("functions").select("nope").sql(), "has no column 'nope'"),
        (lambda: Query.from_("functions").where("name", "~", 1), "unknown operator"),
        (lambda: Query.from_("functions").where("x; drop", "=", 1), "names a column"),
        (lambda: Query.from_("functions").select("avg(x) ; drop").sql(), "has no column"),
        (lambda: Query.from_("functions").limit(-1), "non-negative"),
        (lambda: Query.from_("functions").where("name", "in", "abc"), "list of values"),
        (lambda: Query.from_("functions").where("line", "between", [1]), "pair"),
        (lambda: Percentile(101), "0 to 100"),
        (lambda: Query().sql(), "no relation"),
        (lambda: Query.from_json("{"), "not a query in JSON"),
        (lambda: Query.from_dict({"from": "functions", "oops": 1}), "unknown query keys"),
        (
            lambda: Query.from_dict({"from": "functions", "where": [["line", ">", {"x": 1}]]}),
            "percentile",
        ),
    ],
)
def test_bad_queries_say_what_is_wrong(build, message):
    with pytest.raises(QueryError, match=message):
        build()


_COLUMNS = sorted(RELATIONS["functions"].columns)
_conditions = st.lists(
    st.tuples(
        st.sampled_from(_COLUMNS),
        st.sampled_from(["=", "!=", "<", ">=", "like", "is null"]),
        st.one_of(
            st.integers(-5, 5), st.text(max_size=5), st.builds(Percentile, st.integers(0, 100))
        ),
    ).filter(lambda c: not (isinstance(c[2], Percentile) and c[1] == "like")),
    max_size=3,
)


@settings(max_examples=60, deadline=None)
@given(
    columns=st.lists(st.sampled_from(_COLUMNS), max_size=4),
    conditions=_conditions,
    order=st.lists(st.sampled_from(_COLUMNS), max_size=2),
    limit=st.none() | st.integers(0, 50),
)
def test_a_query_is_data(columns, conditions, order, limit):
    q = Query.from_("functions").select(*columns).order_by(*order)
    for c, op, v in conditions:
        q = q.where(c, op, v)
    if limit is not None:
        q = q.limit(limit)
    again = Query.from_json(json.dumps(json.loads(q.to_json())))
    assert again == q
    assert again.sql() == q.sql() and again.params() == q.params()
    for mode in ("cpg", "ast", "mixed"):
        assert again.sql(mode) == q.sql(mode)


def test_relations_describe_every_column():
    df = relations()
    assert set(df.relation) == set(RELATIONS)
    fn = df[df.relation == "functions"].set_index("column")
    assert fn.loc["complexity", "ast"] and not fn.loc["pagerank", "ast"]
    assert fn.doc.str.len().min() > 0


# -- answers -----------------------------------------------------------------------------------


def test_metric_columns_are_the_cpg_s(full_store):
    store, _ = full_store(100)
    got = (
        Query.from_("functions")
        .select("full_name", "line", "complexity", "fan_out", "cyclomatic")
        .order_by("full_name", "line")
        .execute(store)
        .df
    )
    want = store.sql(
        "SELECT full_name, line, mccabe AS complexity, fan_out, cyclomatic FROM cpg_methods "
        "WHERE subkind NOT IN ('MODULE', 'CLASS_BODY', 'LAMBDA') AND full_name NOT LIKE '%<%' "
        "ORDER BY full_name, line"
    )
    merged = got.merge(want, on=["full_name", "line"], suffixes=("", "_want"))
    assert len(merged) >= 0.95 * len(got) > 0  # every def the AST table has
    for col in ("complexity", "fan_out", "cyclomatic"):
        assert (merged[col] == merged[f"{col}_want"]).all(), col
    assert got.complexity.notna().all()


def test_computed_metrics_equal_cpgmath_and_are_cached(full_store):
    store, _ = full_store(100)
    math = CPGMath(store)
    q = (
        Query.from_("functions")
        .select("module", "full_name", "line", "pagerank", "fan_in", "impact", "reach")
        .where("pagerank", "is not null")
        .order_by("module", "full_name", "line")
    )
    first = q.execute(store, math=math)
    assert first.cache_lookups == 4 and len(first.df) > 20
    pr = math.run("pagerank", "call").set_index(["module", "full_name", "line"]).pagerank
    got = first.df.set_index(["module", "full_name", "line"]).pagerank
    assert np.allclose(got.values, pr.loc[got.index].values)
    # impact and reach are the ancestors and descendants in the call graph
    graph, g = math.graph_and_networkx("call")
    nodes = graph.nodes.to_pandas()
    index = {(r.module, r.full_name, r.line): r.node for r in nodes.itertuples()}
    for row in first.df.itertuples():
        v = index[(row.module, row.full_name, row.line)]
        assert row.impact == len(nx.ancestors(g, v)), row.full_name
        assert row.reach == len(nx.descendants(g, v)), row.full_name
    second = q.execute(store, math=math)
    assert second.cache_hits == second.cache_lookups == 4
    assert pa.Table.from_pandas(second.df).equals(pa.Table.from_pandas(first.df))


def test_a_percentile_condition_keeps_the_top_of_the_relation(full_store):
    store, _ = full_store(100)
    everything = Query.from_("functions").select("full_name", "line", "pagerank").execute(store)
    values = everything.df.pagerank.dropna().to_numpy()
    cut = np.quantile(values, 0.9)  # linear interpolation, as quantile_cont
    top = (
        Query.from_("functions")
        .select("full_name", "line", "pagerank")
        .where("pagerank", ">=", Percentile(90))
        .execute(store)
        .df
    )
    assert len(top) == int((values >= cut - 1e-15).sum()) > 0
    assert top.pagerank.min() >= cut - 1e-12


def test_smells_are_named_with_the_rule_that_found_them(full_store):
    store, _ = full_store(100)
    df = (
        Query.from_("functions")
        .select("qualname", "complexity", "statements", "smells", "smell_count")
        .where("smells", "contains", "complex")
        .execute(store)
        .df
    )
    assert len(df) > 0 and (df.complexity > 10).all()
    assert (df.smell_count == df.smells.map(len)).all()


def test_derived_relations(full_store):
    store, _ = full_store(100)
    math = CPGMath(store)
    paths = Query.from_("critical_paths").order_by("-depth").execute(store, math=math).df
    assert (paths.chain.map(len) == paths.depth + 1).all()
    assert paths.depth.max() >= 2
    by_name = {r.full_name: r for r in paths.itertuples()}
    graph, g = math.graph_and_networkx("call")
    names = graph.nodes.column("full_name").to_pylist()
    dag = nx.condensation(g)
    longest = {}  # the longest path (in edges) from each component of the DAG
    for c in reversed(list(nx.topological_sort(dag))):
        longest[c] = max((longest[d] + 1 for d in dag.successors(c)), default=0)
    for row in paths.itertuples():
        assert row.depth == longest[dag.graph["mapping"][names.index(row.full_name)]]
        assert all(n in by_name for n in row.chain)
    sizes = (
        Query.from_("communities")
        .select("community", "count(*) as n", "max(community_size) as size")
        .group_by("community")
        .execute(store, math=math)
        .df
    )
    assert (sizes.n == sizes["size"]).all() and sizes.n.sum() == g.number_of_nodes()


def test_sql_sees_views_of_derived_metrics(full_store):
    store, _ = full_store(100)
    df = query_sql(
        store,
        "SELECT f.qualname, m.pagerank, m.impact, c.community_size FROM functions f "
        "JOIN modules USING (module) "
        "JOIN function_metrics m ON m.module = f.module AND m.line = f.line "
        "AND m.full_name = modules.name || '.' || f.qualname "
        "JOIN communities c ON c.module = m.module AND c.full_name = m.full_name "
        "WHERE m.pagerank >= ? ORDER BY m.pagerank DESC",
        [0.0],
    )
    via_builder = Query.from_("functions").where("pagerank", "is not null").execute(store).df
    assert len(df) == len(via_builder) > 0 and df.community_size.min() >= 1
    assert query_sql(store, "SELECT count(*) AS n FROM functions").n[0] > 0


def test_derived_views_need_cpg_support(v1):
    with pytest.raises(FeatureDisabledError, match="migrate"):
        query_sql(v1, "SELECT * FROM function_metrics")


def test_strict_execution_needs_cpg_support(v1):
    with pytest.raises(FeatureDisabledError, match="migrate"):
        Query.from_("functions").select("complexity").execute(v1)
    assert Query.from_("functions").select("qualname").execute(v1).rows > 0


# -- the compatibility layer -------------------------------------------------------------------


def test_legacy_queries_answer_the_same_over_the_whole_rollout(v1, src):
    before = answers(v1)
    migrations.migrate(v1)
    assert_same(before, answers(v1), "by the migration")
    project = wb.build_project(src)
    paths = sorted(project.cpgs)
    v1.write_cpg([project.cpgs[p] for p in paths[: len(paths) // 2]])
    assert_same(before, answers(v1), "during generation")
    v1.write_cpg([project.cpgs[p] for p in paths[len(paths) // 2 :]])
    assert_same(before, answers(v1), "after generation")
    CPGMath(v1).run("pagerank", "call")
    migrations.rollback(v1)
    assert_same(before, answers(v1), "by the rollback")


def fallback(q, store):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = execute_with_fallback(q, store)
    return result, [str(w.message) for w in caught if w.category is FallbackWarning]


COMPLEXITY = (
    Query.from_("functions")
    .select("module", "qualname", "line", "decision_points", "complexity", "pagerank")
    .order_by("module", "qualname", "line")
)


def test_with_cpg_off_every_row_comes_from_the_ast_and_says_so(v1):
    result, caught = fallback(COMPLEXITY, v1)
    df = result.df
    assert (df.source == "ast").all() and len(df) > 0
    assert (df.complexity == df.decision_points + 1).all()
    assert df.pagerank.isna().all()
    assert caught and "CPG support is off" in caught[0]
    events = telemetry.frame("fallback")
    assert len(events) == 1 and events.metadata[0]["relation"] == "functions"
    assert result.ast_modules and not result.cpg_modules


def test_modules_without_a_cpg_answer_from_the_ast(v2, src):
    project = wb.build_project(src)
    paths = sorted(p for p in project.cpgs if project.cpgs[p].methods.num_rows > 1)
    v2.write_cpg([project.cpgs[p] for p in paths[:3]])  # the others stay pending
    result, caught = fallback(COMPLEXITY, v2)
    df = result.df
    built = {v2.module_key(p) for p in paths[:3]}
    assert set(df[df.source == "cpg"].module) == built
    ast = df[df.source == "ast"]
    assert len(ast) > 0 and (ast.complexity == ast.decision_points + 1).all()
    assert ast.pagerank.isna().all() and df[df.source == "cpg"].pagerank.notna().any()
    assert caught and "no CPG" in caught[0] and "pending" in caught[0]
    grouped, _ = fallback(
        Query.from_("functions").select("count(*) as n", "avg(complexity) as c"), v2
    )
    assert grouped.df.source.tolist() == ["mixed"]


def test_a_failing_cpg_query_answers_from_the_ast(full_store):
    store, _ = full_store(100)
    f = store.root / "cpg_methods" / store.files("cpg_methods")[0]["path"]
    if not f.exists():
        f = Path(store.files("cpg_methods")[0]["path"])
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    result, caught = fallback(COMPLEXITY, store)
    assert (result.df.source == "ast").all() and len(result.df) > 0
    assert caught and "CorruptionError" in caught[0]


def test_cpg_only_relations_fall_back_to_nothing_with_a_warning(v1):
    result, caught = fallback(Query.from_("cpg_nodes").select("kind", "count(*) as n"), v1)
    assert result.rows == 0 and list(result.df.columns) == ["kind", "n"]
    assert caught and "CPG support is off" in caught[0]


def test_queries_are_reported_to_telemetry(full_store):
    store, _ = full_store(100)
    q = Query.from_("functions").select("qualname", "complexity").limit(3)
    q.execute(store)
    events = telemetry.frame("query", store=store)
    builder = events[events.metadata.map(lambda m: m.get("source") == "builder")]
    assert len(builder) == 1
    assert builder.metadata.iloc[0]["key"] == q.key()
    assert builder.measurements.iloc[0]["rows"] == 3
    assert builder.detail.iloc[0] == q.sql()


# -- review findings ---------------------------------------------------------------------------


def test_a_store_used_for_metric_queries_is_freed(full_store):
    import gc
    import weakref

    store, _ = full_store(100)
    Query.from_("functions").select("pagerank").limit(1).execute(store)
    ref = weakref.ref(store)
    del store
    gc.collect()
    assert ref() is None


def test_module_status_answers_with_the_fallback_too(v2, src):
    project = wb.build_project(src)
    v2.write_cpg([project.cpgs[p] for p in sorted(project.cpgs)[:3]])
    q = Query.from_("modules").select("path", "cpg_status").where("cpg_status", "=", "pending")
    strict = q.execute(v2).df
    result, caught = fallback(q, v2)
    assert len(strict) > 0 and result.df.path.tolist() == strict.path.tolist()
    assert (result.df.cpg_status == "pending").all() and (result.df.source == "ast").all()
    rolled = v2
    migrations.rollback(rolled)  # on a v1 store the v2 columns are null, with a warning
    back, caught = fallback(Query.from_("modules").select("path", "cpg_status"), rolled)
    assert back.df.cpg_status.isna().all() and caught


def test_the_fallback_never_hides_a_wrong_query(full_store):
    store, _ = full_store(100)
    with pytest.raises(QueryError, match=r"(?i)conver"):
        execute_with_fallback(Query.from_("functions").where("pagerank", ">", "abc"), store)


def test_numpy_values_and_nested_percentiles(full_store):
    store, _ = full_store(100)
    key = store.modules().module.iloc[0]  # a numpy.int64
    q = Query.from_("functions").select("qualname").where("module", "=", key)
    assert type(q.params()[0]) is int and q.execute(store).rows >= 0
    assert Query.from_json(q.to_json()) == q
    with pytest.raises(QueryError, match="percentile"):
        Query.from_("functions").where("line", "between", (Percentile(10), Percentile(90)))
    with pytest.raises(QueryError, match="percentile"):
        Query.from_dict({"from": "functions", "where": [["line", "in", [{"percentile": 5}]]]})


def test_source_is_reserved_and_every_answer_is_ordered():
    with pytest.raises(QueryError, match="source"):
        Query.from_("functions").select("module", "count(*) as source").group_by("module").sql()
    sql = Query.from_("functions").select("qualname").limit(3).sql("mixed")
    assert 'ORDER BY "qualname" ASC, "module" ASC, "line" ASC' in sql
    grouped = Query.from_("functions").select("module", "count(*) as n").group_by("module")
    assert grouped.sql().endswith('ORDER BY "module" ASC')


def test_sql_views_are_found_by_the_parser_not_in_strings(v1):
    df = query_sql(v1, "SELECT count(*) AS n FROM functions WHERE qualname = 'critical_paths'")
    assert df.n[0] == 0
