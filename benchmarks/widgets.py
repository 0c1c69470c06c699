"""Graph view state: the Python-side cost of drawing one method.

Usage::

    python benchmarks/widgets.py [--json] [--runs N]

Generates two synthetic functions of about 500 and 2,000 CPG nodes (branches, loops,
calls, try/except), builds their CPG and times :func:`workbench.widgets.graph_state` (all
layers, with a highlighted path) on :class:`~workbench.analysis.tables.CodeTables` read
once: the median of ``--runs`` runs. The baseline, measured in the same run, is networkx
building a ``DiGraph`` of the same method's nodes and edges (no layout, no labels). Target:
the 2,000-node state in at most 500 ms.

``--json`` prints ``graphview_render_ms_500`` and ``graphview_render_ms_2000`` (and the
node counts and baselines), and ``graphview_figure_ms_*``: turning that state into the plotly
figure the view sends to the browser (:func:`workbench.widgets.graph_figure`).

``--progress-modules N`` (default 300; 0 skips it) also generates the first N stdlib modules
into fresh stores with and without :class:`~workbench.widgets.GenerationProgress` as the
``progress`` callback, alternating ``--pairs`` times: ``progress_overhead_pct`` is the time
spent inside the callback over the run's wall time (what the widget adds; target <= 3 %),
``progress_wall_overhead_pct`` the difference of the median wall times (noisy on a shared
machine: it moves by more than the effect).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import networkx as nx
import numpy as np

import workbench as wb
from workbench.analysis.tables import CodeTables
from workbench.widgets import LAYERS, graph_figure, graph_state

TARGET_MS_2000 = 500.0

_BLOCK = """\
    if a > {i}:
        b = helper(a, {i})
        for k in range(b):
            if k % 3 == {m}:
                total += k * {i}
            elif k > {i}:
                break
            else:
                total -= helper(k, b)
    else:
        try:
            total += int(str(a) + "{i}")
        except ValueError:
            total = 0
    while total > {big}:
        total //= 2
"""


def synthetic_source(blocks: int) -> str:
    """A module with ``helper`` and a function ``big`` of ``blocks`` repeated blocks."""
    body = "".join(_BLOCK.format(i=i, m=i % 3, big=1000 + i) for i in range(blocks))
    return (
        "def helper(x, y):\n    return x + y\n\n\n"
        f"def big(a):\n    total = 0\n{body}    return total\n"
    )


def method_of_size(target: int) -> tuple[CodeTables, int]:
    """Tables of a synthetic module whose ``big`` has about ``target`` nodes."""
    per_block = None
    blocks = 1
    while True:
        t = CodeTables.read(wb.build_cpg(synthetic_source(blocks), path="synthetic.py"))
        g = t.find_method("big")
        size = int(np.count_nonzero(t.node_method == g))
        if per_block is None:
            one = size
            t0 = CodeTables.read(wb.build_cpg(synthetic_source(2), path="synthetic.py"))
            per_block = int(np.count_nonzero(t0.node_method == t0.find_method("big"))) - one
            blocks = max(1, round((target - (one - per_block)) / per_block))
            continue
        return t, size


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def networkx_baseline(t: CodeTables, g: int) -> None:
    gs = np.flatnonzero(t.node_method == g)
    ok = np.isin(t.edge_src, gs) & np.isin(t.edge_dst, gs)
    G = nx.DiGraph()
    G.add_nodes_from(gs.tolist())
    G.add_edges_from(zip(t.edge_src[ok].tolist(), t.edge_dst[ok].tolist(), strict=True))


def run(runs: int) -> dict:
    out: dict = {}
    for target in (500, 2000):
        t, size = method_of_size(target)
        g = t.find_method("big")
        state = graph_state(t, g, layers=LAYERS, max_nodes=max(2000, size))
        path = state.nodes.loc[state.nodes.cfg, "node"].tolist()[:50]
        t.code(np.arange(len(t)))  # the code column is read once per tables: not timed

        def build(t=t, g=g, size=size, path=path):
            graph_state(t, g, layers=LAYERS, highlight=path, max_nodes=max(2000, size))

        build()  # warm up
        ms = median_ms(build, runs)
        base = median_ms(lambda t=t, g=g: networkx_baseline(t, g), runs)
        out[f"graphview_render_ms_{target}"] = round(ms, 2)
        figure = graph_state(t, g, layers=LAYERS, highlight=path, max_nodes=max(2000, size))
        out[f"graphview_figure_ms_{target}"] = round(
            median_ms(lambda s=figure: graph_figure(s), runs), 2
        )
        out[f"graphview_nodes_{target}"] = size
        out[f"graphview_edges_{target}"] = len(state.edges)
        out[f"networkx_baseline_ms_{target}"] = round(base, 2)
    return out


def progress_overhead(modules: int, pairs: int) -> dict:
    """Generation of ``modules`` stdlib modules with and without the progress widget."""
    import shutil
    import sysconfig
    import tempfile
    from pathlib import Path

    from workbench.store.migrations import migrate
    from workbench.widgets import GenerationProgress

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(
        p for p in stdlib.rglob("*.py") if "site-packages" not in p.parts and "test" not in p.parts
    )[:modules]
    root = Path(tempfile.mkdtemp(prefix="wb-widgets-"))
    try:
        src = root / "src"
        for f in files:
            dst = src / f.relative_to(stdlib)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, dst)
        walls: dict[bool, list[float]] = {False: [], True: []}
        inside: list[float] = []
        for i in range(pairs):
            for with_widget in (i % 2 == 0, i % 2 == 1):  # alternate which goes first
                store = wb.Store.create(root / f"store-{i}-{int(with_widget)}")
                store.ingest(src)
                migrate(store)
                spent = [0.0]
                widget = GenerationProgress(store) if with_widget else None

                def callback(event, widget=widget, spent=spent):
                    t = time.perf_counter()
                    widget(event)
                    spent[0] += time.perf_counter() - t

                t0 = time.perf_counter()
                store.generate(workers=2, progress=callback if with_widget else None, quiet=True)
                wall = time.perf_counter() - t0
                walls[with_widget].append(wall)
                if with_widget:
                    inside.append(100 * spent[0] / wall)
                store.close()
        without, with_ = statistics.median(walls[False]), statistics.median(walls[True])
        return {
            "progress_modules": len(files),
            "progress_overhead_pct": round(statistics.median(inside), 3),
            "progress_wall_overhead_pct": round(100 * (with_ - without) / without, 2),
            "progress_wall_s_without": round(without, 2),
            "progress_wall_s_with": round(with_, 2),
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    ap.add_argument("--progress-modules", type=int, default=300, help="0: skip the progress run")
    ap.add_argument("--pairs", type=int, default=4, help="alternating with/without runs")
    args = ap.parse_args(argv)
    r = run(args.runs)
    if args.progress_modules:
        r.update(progress_overhead(args.progress_modules, args.pairs))
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(
        f"{'method':>8} {'nodes':>6} {'edges':>6} {'state ms':>9} {'networkx ms':>12} "
        f"{'ratio':>6} {'figure ms':>10}"
    )
    for target in (500, 2000):
        ms, base = r[f"graphview_render_ms_{target}"], r[f"networkx_baseline_ms_{target}"]
        print(
            f"{'~' + str(target):>8} {r[f'graphview_nodes_{target}']:>6} "
            f"{r[f'graphview_edges_{target}']:>6} {ms:>9.1f} {base:>12.2f} {ms / base:>6.1f} "
            f"{r[f'graphview_figure_ms_{target}']:>10.1f}"
        )
    ok = r["graphview_render_ms_2000"] <= TARGET_MS_2000
    print(f"target: 2,000-node state <= {TARGET_MS_2000:.0f} ms: {'met' if ok else 'NOT met'}")
    if "progress_overhead_pct" in r:
        print(
            f"generation of {r['progress_modules']} modules: "
            f"{r['progress_wall_s_without']:.2f} s without the progress widget, "
            f"{r['progress_wall_s_with']:.2f} s with "
            f"(wall {r['progress_wall_overhead_pct']:+.1f} %, noisy); "
            f"inside the callback {r['progress_overhead_pct']:.2f} % (target <= 3 %)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
