"""Item 10: cache eviction under memory pressure keeps queries working."""

from __future__ import annotations

import random

import pandas as pd
import production_kit as kit

import workbench as wb

#: Requests over the call and import graphs of the whole store and over single modules'
#: control-flow graphs (results of different sizes, cached in different file groups).
REQUESTS = [
    ("pagerank", "call", {}),
    ("degree", "call", {}),
    ("louvain", "call", {"seed": 1}),
    ("strongly_connected_components", "call", {}),
    ("betweenness", "call", {}),
    ("pagerank", "import", {}),
    ("degree", "import", {}),
    ("density", "import", {}),
    *(
        (name, "cfg", {"module": module})
        for module in ("bookshop.pricing", "bookshop.reports", "stdlib.textwrap", "stdlib.shlex")
        for name in ("cyclomatic_complexity", "natural_loops", "dominators")
    ),
]


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["approximate"] == b.attrs["approximate"]


def test_cache_eviction_keeps_queries_working(prod_generated, record_property):
    """CPGMath over a generated store of real code with a result budget of about two median
    results and two graph slots: 20 different requests, three times over in shuffled
    order, with store queries in between. The cache evicts all along (``cache.stats()``),
    never holds more than its budget, and serves evicted results again from the store;
    every answer equals the one of an unbounded, unpersisted CPGMath; the store's own
    queries (SQL, CPG lookups, functions) keep answering the same.

    Builds on ``tests/test_cpgmath.py::test_eviction_under_a_memory_budget_keeps_queries_working``
    (three requests, the sample) and ``::test_result_cache_lru_order_and_oversized_results``
    (the LRU on its own); here many requests of many sizes, repeated, with queries between.
    """
    store = prod_generated
    reference = wb.CPGMath(store, persist=False, memory_budget=1 << 30)
    expected, sizes = {}, []
    for i, (name, kind, params) in enumerate(REQUESTS):
        held = reference.cache.nbytes
        expected[i] = reference.run(name, kind, **params)
        sizes.append(reference.cache.nbytes - held)  # the result's size, as the cache counts
    assert len(reference.cache) == len(REQUESTS)  # all held: the reference evicts nothing
    budget = 2 * sorted(sizes)[len(sizes) // 2]  # about two median results
    assert max(sizes) > budget  # some results can never be held, most can
    queries = {q: store.sql(q) for q in kit.LEGACY_QUERIES}
    pricing = store.cpg("bookshop/pricing.py")

    math = wb.CPGMath(store, persist_min_seconds=0, memory_budget=budget, graph_slots=2)
    rng = random.Random(5)
    order = [i for _ in range(3) for i in rng.sample(range(len(REQUESTS)), len(REQUESTS))]
    tiers = []
    for step, i in enumerate(order):
        name, kind, params = REQUESTS[i]
        got = math.run(name, kind, **params)
        same(got, expected[i])
        tiers.append(got.attrs["cache"])
        assert math.cache.nbytes <= budget
        if step % 7 == 0:  # the store keeps answering in between
            q = kit.LEGACY_QUERIES[step % len(kit.LEGACY_QUERIES)]
            pd.testing.assert_frame_equal(store.sql(q), queries[q])
            assert store.cpg("bookshop/pricing.py").equals(pricing)
            assert len(store.functions("stdlib/argparse.py")) > 50

    stats = math.cache.stats().iloc[0]
    assert stats.evictions >= len(REQUESTS) // 2 and stats.bytes <= budget
    assert stats.store_hits >= 1 and stats.misses == len(REQUESTS)
    assert tiers.count("miss") == len(REQUESTS) and "store" in tiers
    assert len(math.cache.stored()) == len(REQUESTS)
    for name, value in stats.items():
        if name in ("memory_hits", "store_hits", "misses", "evictions", "max_bytes"):
            record_property(f"measured:cache {name}", int(value))
    # a new session with no memory to spare still answers, all from the store
    cold = wb.CPGMath(store, memory_budget=0)
    for i, (name, kind, params) in enumerate(REQUESTS):
        got = cold.run(name, kind, **params)
        assert got.attrs["cache"] == "store"
        same(got, expected[i])
