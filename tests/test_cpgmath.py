"""CPGMath over a store: cached results equal fresh ones, a rebuild invalidates exactly what
read the module, eviction keeps answers coming, and the circuit breaker approximates, refuses
and opens as documented."""

from __future__ import annotations

import pandas as pd
import pytest

import workbench as wb
from workbench.analysis import Budget, CircuitBreaker, CPGMath, ResultCache
from workbench.analysis.cache import CacheKey, params_hash
from workbench.cpg.schema import analysis_group
from workbench.errors import AlgorithmError, CircuitOpenError, CycleError, FeatureDisabledError

PRICING = "bookshop.pricing"
REPORTS = "bookshop.reports"


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b)
    assert {k: v for k, v in a.attrs.items() if k != "cache"} == {
        k: v for k, v in b.attrs.items() if k != "cache"
    }


def stored_groups(store) -> list[str]:
    return sorted(
        {f["path"].rsplit("/", 1)[-1].split("-", 1)[0] for f in store.files("analysis_cache")}
    )


@pytest.fixture
def store(full_store):
    return full_store(100)[0]


# -- the cache ---------------------------------------------------------------------------------


def test_cached_answer_equals_a_fresh_one(store):
    math = CPGMath(store, persist_min_seconds=0)
    fresh = math.run("pagerank", "call")
    assert fresh.attrs["cache"] == "miss" and fresh.attrs["approximate"] is False
    again = math.run("pagerank", "call")
    assert again.attrs["cache"] == "memory"
    same(fresh, again)
    # another session reads it from the store, and a computation without cache agrees
    other = CPGMath(store, persist_min_seconds=0)
    from_store = other.run("pagerank", "call")
    assert from_store.attrs["cache"] == "store"
    same(fresh, from_store)
    uncached = CPGMath(store, persist=False, memory_budget=0).run("pagerank", "call")
    assert uncached.attrs["cache"] == "miss"
    same(fresh, uncached)
    assert fresh.pagerank.sum() == pytest.approx(1.0)
    assert {"module", "id", "name", "full_name", "line"} <= set(fresh.columns)


def test_parameters_and_graphs_are_part_of_the_key(store):
    math = CPGMath(store, persist_min_seconds=0)
    a = math.run("pagerank", "call", alpha=0.85)
    b = math.run("pagerank", "call", alpha=0.5)
    assert b.attrs["cache"] == "miss"
    assert not a.pagerank.equals(b.pagerank)
    c = math.run("pagerank", "import")
    assert c.attrs["cache"] == "miss" and len(c) != len(a)
    assert math.cache.stats().loc[0, "misses"] == 3


def test_a_rebuild_drops_exactly_the_results_that_read_the_module(full_store, shared_src):
    store, _ = full_store(100)
    math = CPGMath(store, persist_min_seconds=0)
    pricing = math.run("cyclomatic_complexity", "cfg", module=PRICING)
    reports = math.run("natural_loops", "cfg", module=REPORTS)
    math.run("pagerank", "call")
    pricing_group = analysis_group(store.module_key(PRICING))
    reports_group = analysis_group(store.module_key(REPORTS))
    assert stored_groups(store) == sorted([pricing_group, reports_group, "project"])

    path = shared_src / "bookshop" / "pricing.py"
    path.write_text(
        path.read_text() + "\n\ndef extra(x):\n    if x:\n        return 1\n    return 2\n"
    )
    store.ingest(shared_src)
    store.generate(workers=1, quiet=True)
    # pricing's results and the project-wide ones are gone; reports' stay
    assert stored_groups(store) == [reports_group]
    math = CPGMath(store, persist_min_seconds=0)
    again = math.run("natural_loops", "cfg", module=REPORTS)
    assert again.attrs["cache"] == "store"
    same(reports, again)
    rebuilt = math.run("cyclomatic_complexity", "cfg", module=PRICING)
    assert rebuilt.attrs["cache"] == "miss"
    assert rebuilt.value[0] == pricing.value[0] + 2  # one more function, one decision


def test_eviction_under_a_memory_budget_keeps_queries_working(store):
    first = CPGMath(store, persist=False).run("degree", "call")
    budget = first.memory_usage(deep=False).sum()  # about one result's worth
    math = CPGMath(store, persist_min_seconds=0, memory_budget=int(budget))
    results = {name: math.run(name, "call") for name in ("degree", "pagerank", "louvain")}
    stats = math.cache.stats().iloc[0]
    assert stats.evictions >= 1 and stats.bytes <= budget
    for name, df in results.items():  # evicted from memory, read back from the store
        again = math.run(name, "call")
        assert again.attrs["cache"] in ("memory", "store")
        same(df, again)
    assert math.cache.stats().loc[0, "store_hits"] >= 1
    # without a store behind it an evicted result is computed again, equal
    volatile = CPGMath(store, persist=False, memory_budget=0)
    for name, df in results.items():
        same(df, volatile.run(name, "call"))


def test_cheap_results_stay_in_memory(store):
    math = CPGMath(store, persist_min_seconds=60)
    math.run("degree", "call")
    assert math.run("degree", "call").attrs["cache"] == "memory"
    assert store.files("analysis_cache") == []
    assert CPGMath(store).run("degree", "call").attrs["cache"] == "miss"


def test_result_cache_lru_order_and_oversized_results():
    import pyarrow as pa

    def table(n):
        return pa.table({"x": list(range(n))})

    size = table(10).nbytes
    cache = ResultCache(max_bytes=2 * size)
    keys = [CacheKey(str(i), "degree", params_hash("degree", {})) for i in range(3)]
    cache.put(keys[0], table(10))
    cache.put(keys[1], table(10))
    assert cache.get(keys[0]) is not None  # 0 is now the most recent
    cache.put(keys[2], table(10))  # evicts 1, the least recently used
    assert cache.get(keys[1]) is None and cache.get(keys[0]) is not None
    cache.put(CacheKey("big", "degree", "p"), table(1000))  # larger than the budget: not kept
    assert len(cache) == 2 and cache.nbytes <= 2 * size
    with pytest.raises(ValueError, match="max_bytes"):
        ResultCache(max_bytes=-1)


def test_library_versions_are_part_of_the_parameter_hash(monkeypatch):
    import networkx

    from workbench.analysis.cache import library_versions

    before = params_hash("pagerank", {"alpha": 0.85})
    monkeypatch.setattr(networkx, "__version__", "0.0-test")
    library_versions.cache_clear()
    try:
        assert params_hash("pagerank", {"alpha": 0.85}) != before
    finally:
        library_versions.cache_clear()


# -- the circuit breaker ---------------------------------------------------------------------


def test_over_budget_betweenness_is_approximate(store):
    math = CPGMath(store, persist_min_seconds=0, budgets={"betweenness": Budget(max_nodes=5)})
    df = math.run("betweenness", "call")
    assert df.attrs["approximate"] is True
    events = math.breaker.events()
    assert "over budget" in events.event.tolist()
    # the approximation is cached under its own parameters: an exact request computes
    exact = CPGMath(store, persist_min_seconds=0).run("betweenness", "call")
    assert exact.attrs["approximate"] is False and exact.attrs["cache"] == "miss"
    assert set(df.node) == set(exact.node)
    # and once the exact answer is known, the tight budget gets it for free
    tight = CPGMath(store, persist_min_seconds=0, budgets={"betweenness": Budget(max_nodes=5)})
    again = tight.run("betweenness", "call")
    assert again.attrs["approximate"] is False and again.attrs["cache"] == "store"


def test_over_budget_without_approximation_is_refused_with_advice(store):
    math = CPGMath(store, persist_min_seconds=0, budgets={"diameter": Budget(max_nodes=30)})
    with pytest.raises(CircuitOpenError, match=r"diameter: graph too large .* budgets=") as e:
        math.run("diameter", "call")
    assert e.value.algorithm == "diameter"
    state = math.breaker_state().set_index("algorithm")
    assert state.loc["diameter", "refused"] == 1 and state.loc["diameter", "state"] == "closed"
    # one module's CFG is small enough
    assert math.run("diameter", "cfg", module=PRICING, method=f"{PRICING}.shipping").value[0] > 0


def test_repeated_failures_open_the_breaker_for_a_cooldown(store):
    now = [0.0]
    math = CPGMath(
        store,
        budgets={"pagerank": Budget(max_seconds=0.0)},  # every run is "too slow"
        persist=False,
        memory_budget=0,
        failure_threshold=2,
        cooldown=10,
        clock=lambda: now[0],
    )
    for _ in range(2):
        assert len(math.run("pagerank", "call")) > 0  # the answer still comes back
    state = math.breaker_state().set_index("algorithm").loc["pagerank"]
    assert (state.state, state.trips) == ("open", 1)
    with pytest.raises(CircuitOpenError, match=r"circuit open after 2 failed run\(s\)"):
        math.run("pagerank", "call")
    now[0] = 11.0  # cool-down over: one trial, which fails again and reopens
    math.run("pagerank", "call")
    assert math.breaker_state().set_index("algorithm").loc["pagerank", "trips"] == 2
    math.breaker.reset("pagerank")
    math.breaker.budgets["pagerank"] = Budget()
    math.run("pagerank", "call")
    assert math.breaker_state().set_index("algorithm").loc["pagerank", "state"] == "closed"
    assert {"opened", "refused", "half-open", "reset"} <= set(math.breaker.events().event)


def test_a_failing_computation_counts_against_the_breaker():
    breaker = CircuitBreaker(failure_threshold=1, cooldown=5, clock=lambda: 0.0)
    breaker.failure("louvain", "MemoryError: out of memory")
    with pytest.raises(CircuitOpenError, match="MemoryError"):
        breaker.admit("louvain", nodes=1, edges=1)
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker(failure_threshold=0)


# -- requests --------------------------------------------------------------------------------


def test_node_parameters_by_full_name(store):
    math = CPGMath(store, persist_min_seconds=0)
    hops = math.run("k_hop", "call", node="bookshop.cli.main", k=1)
    assert hops.loc[hops.hops == 0, "full_name"].tolist() == ["bookshop.cli.main"]
    assert (hops.hops == 1).sum() >= 1
    with pytest.raises(AlgorithmError, match="no node of this graph"):
        math.run("k_hop", "call", node="bookshop.nowhere", k=1)


def test_loops_per_method_of_a_module(store):
    loops = CPGMath(store, persist_min_seconds=0).run("natural_loops", "cfg", module=REPORTS)
    assert set(loops.entry_name) >= {f"{REPORTS}.lines", f"{REPORTS}.write_report"}
    nested = loops[loops.entry_name == f"{REPORTS}.lines"]
    assert sorted(nested.depth) == [1, 2]  # for ... in walk(): for item in items


def test_bad_requests(store):
    math = CPGMath(store, persist_min_seconds=0)
    with pytest.raises(AlgorithmError, match="unknown algorithm 'pagerankk'"):
        math.run("pagerankk", "call")
    with pytest.raises(AlgorithmError, match="budgets for unknown algorithms"):
        CPGMath(store, persist_min_seconds=0, budgets={"nope": Budget()})


def test_a_store_without_cpg_support_says_how_to_get_it(v1):
    with pytest.raises(FeatureDisabledError, match="workbench migrate"):
        CPGMath(v1)


def test_an_in_memory_project(shared_src):
    proj = wb.build_project(shared_src)
    math = CPGMath(proj)
    a = math.run("strongly_connected_components", "call")
    assert math.run("strongly_connected_components", "call").attrs["cache"] == "memory"
    assert a.component.nunique() <= len(a)
    assert math.timings().cache.tolist() == ["miss", "memory"]


def test_seeded_results_are_deterministic(store):
    a = CPGMath(store, persist=False).run("louvain", "call", seed=3)
    b = CPGMath(store, persist=False).run("louvain", "call", seed=3)
    same(a, b)


# -- after review ------------------------------------------------------------------------------


def test_external_nodes_keep_exact_module_keys(store):
    df = CPGMath(store).run("pagerank", "call", external=True)
    assert str(df.module.dtype) == "Int64" and df.module.isna().any()
    keys = set(store.modules().module)
    assert set(df.module.dropna()) <= keys and len(set(df.module.dropna())) > 5


def test_saving_a_result_does_not_reload_the_graph(store, monkeypatch):
    import workbench.analysis.cpgmath as cpgmath

    loads = []
    real = cpgmath.load
    monkeypatch.setattr(cpgmath, "load", lambda *a, **k: loads.append(a[1]) or real(*a, **k))
    math = CPGMath(store, persist_min_seconds=0)
    for name in ("pagerank", "degree", "closeness", "betweenness"):
        assert math.run(name, "call").attrs["cache"] == "miss"
    assert loads == ["call"] and len(math.cache.stored()) == 4


def test_an_open_circuit_refuses_before_loading(store, monkeypatch):
    import workbench.analysis.cpgmath as cpgmath

    math = CPGMath(
        store,
        persist=False,
        budgets={"pagerank": Budget(max_seconds=0.0)},
        failure_threshold=1,
        cooldown=100,
    )
    math.run("pagerank", "call")
    loads = []
    monkeypatch.setattr(cpgmath, "load", lambda *a, **k: loads.append(a[1]))
    with pytest.raises(CircuitOpenError, match=r"after 1 failed run\(s\)"):
        math.run("pagerank", "import")
    assert loads == []


def test_entry_algorithms_need_an_entry_outside_control_flow(store):
    math = CPGMath(store)
    with pytest.raises(AlgorithmError, match="needs entry="):
        math.run("dominators", "call")
    doms = math.run("dominators", "call", entry="bookshop.cli.main")
    assert doms.loc[doms.idom == -1, "full_name"].tolist() == ["bookshop.cli.main"]
    # in a control-flow graph a function's full name means its METHOD, not its `def`
    one = math.run("dominators", "cfg", module=PRICING, entry=f"{PRICING}.price_for")
    assert one.loc[one.idom == -1, "kind"].tolist() == ["METHOD"]


def test_requests_that_cannot_be_cached_or_reproduced_are_refused(store):
    with pytest.raises(AlgorithmError, match="seed=None"):
        CPGMath(store).run("louvain", "call", seed=None)


def test_a_read_only_view_computes_without_saving(store):
    view = store.at(store.version)
    df = CPGMath(view, persist_min_seconds=0).run("degree", "call")
    assert df.attrs["cache"] == "miss" and store.files("analysis_cache") == []


def test_keys_and_names_as_a_notebook_passes_them(store):
    import numpy as np

    math = CPGMath(store)
    key = np.int64(store.module_key(PRICING))
    assert (
        math.run("density", "cfg", module=key).value[0]
        == math.run("density", "cfg", module=PRICING).value[0]
    )
    every = math.run("shortest_paths", "call", source="bookshop.cli.main", target=None)
    assert len(every) > 1 and every.distance.min() == 0


def test_a_cycle_is_named_by_its_functions(tmp_path):
    (tmp_path / "m.py").write_text("def a():\n    b()\n\ndef b():\n    a()\n")
    with pytest.raises(CycleError, match=r"m\.a -> m\.b -> m\.a") as e:
        CPGMath(wb.build_project(tmp_path)).run("topological_order", "call")
    assert e.value.cycle == ["m.a", "m.b", "m.a"]
    comps = CPGMath(wb.build_project(tmp_path)).run("condensation", "call")
    assert sorted(map(len, comps.members)) == [1, 2]


def test_bounded_paths_that_bound_nothing_are_exact(store):
    source, target = "bookshop.cli.main", "bookshop.inventory.Category.__init__"
    tight = CPGMath(store, persist_min_seconds=0, budgets={"simple_paths": Budget(max_nodes=5)})
    df = tight.run("simple_paths", "call", source=source, target=target, max_depth=3)
    assert len(df) >= 1 and df.attrs["approximate"] is False
    fresh = CPGMath(store, persist=False).run(
        "simple_paths", "call", source=source, target=target, max_depth=3
    )
    same(df, fresh)


def test_results_of_one_method_live_in_its_module_group(store):
    math = CPGMath(store, persist_min_seconds=0)
    math.run("natural_loops", "cfg", method=f"{REPORTS}.lines")
    assert stored_groups(store) == [analysis_group(store.module_key(REPORTS))]


def test_weighted_betweenness_has_a_budget_of_its_own(store):
    """Weighted betweenness has no compiled backend: its own, tighter budget and circuit."""
    math = CPGMath(store, persist=False, budgets={"betweenness/weighted": Budget(max_nodes=5)})
    assert math.run("betweenness", "call", weight="weight").attrs["approximate"] is True
    assert math.run("betweenness", "call").attrs["approximate"] is False
    state = math.breaker_state().set_index("algorithm")
    assert state.loc["betweenness/weighted", "over_budget"] == 1
    assert state.loc["betweenness", "over_budget"] == 0
