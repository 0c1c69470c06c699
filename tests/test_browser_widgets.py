"""The notebook widgets in a real browser: JupyterLab, Debian's chromium, Playwright
(tests/jupyter_browser.py). Skipped, with the reason, where there is no browser."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from jupyter_browser import (
    BROWSER_MARKS,
    assert_no_page_errors,
    copy_notebook,
    open_notebook,
    run_all,
    screenshot,
    write_notebook,
)

pytestmark = BROWSER_MARKS

ROOT = Path(__file__).parent.parent

#: A module name that is markup: shown escaped, it stays text; rendered, it sets the global.
EVIL = "evil_<img src=x onerror=window.__xss=1>.py"


#: The notebook panel's document saved (not dirty).
_SAVED = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  return !!w && !!w.context && !w.context.model.dirty;
}"""


def test_generation_progress(lab_page, tmp_path):
    """GenerationProgress as the progress callback of a run: the bar and the failures table
    render, "Retry failed" runs its Python callback (the failed module is built again and
    fails again), the hostile module name stays text, and the page raises nothing. Then the
    notebook is saved and opened again in a new page (the kernel still running): the panel
    and a graph view changed after it was drawn (a layer toggled off) are restored from the
    kernel's widget state as the kernel last had them, not as they were made."""
    from playwright.sync_api import expect

    src = tmp_path / "src"
    src.mkdir()
    (src / "ok.py").write_text("def f(a):\n    b = a + 1\n    if b:\n        b = 2\n    return b\n")
    (src / EVIL).write_text("def h(:\n")  # a syntax error: its CPG build fails
    name = write_notebook(
        lab_page.lab,
        "generation_progress.ipynb",
        [
            "import sys\n"
            "import workbench\n"
            "from workbench.store.migrations import migrate\n"
            "from workbench.widgets import GenerationProgress\n"
            "print('kernel prefix:', sys.prefix)",
            f"source_dir = {str(src)!r}\nstore_dir = {str(tmp_path / 'store')!r}",
            "store = workbench.Store.create(store_dir)\n"
            "store.ingest(source_dir)\n"
            "_ = migrate(store)",
            "progress = GenerationProgress(store, generate_options={'workers': 1})\n"
            "display(progress)\n"
            "report = store.generate(workers=1, progress=progress, quiet=True)",
            "print(f'generated: {report.ok} ok, {report.failed} failed')",
            "from workbench.widgets import GraphView\n"
            "view = GraphView(store, 'f', layers=['CFG', 'REACHING_DEF'])\n"
            "display(view)",
        ],
    )
    page = lab_page
    open_notebook(page, name)
    run_all(page, timeout=120)

    # the kernel is this venv's python
    expect(page.locator(".jp-OutputArea-output", has_text="kernel prefix:")).to_contain_text(
        f"kernel prefix: {sys.prefix}"
    )
    expect(page.locator(".jp-OutputArea-output", has_text="generated:")).to_contain_text(
        "generated: 1 ok, 1 failed"
    )

    panel = page.locator(".jp-OutputArea-output .widget-vbox").first
    bar = panel.locator(".jupyter-widgets .progress .progress-bar")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("style", re.compile(r"\bwidth: 100%"))
    expect(bar).to_have_class(re.compile(r"\bprogress-bar-warning\b"))  # done, with failures
    counts = panel.locator(".widget-html-content", has_text="modules (")
    expect(counts).to_contain_text("2/2 modules (100%): 1 ok, 1 failed, 0 skipped, 0 pending")
    table = panel.locator(".widget-html-content table")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr")).to_contain_text(EVIL)  # the name, as text
    expect(table.locator("tbody tr")).to_contain_text("ParseError")
    before = counts.inner_text()

    # the button's Python callback: generate the failed module again (it fails again)
    button = panel.get_by_role("button", name="Retry failed")
    expect(button).to_be_enabled()
    button.click()
    expect(counts).not_to_have_text(before, timeout=60_000)
    expect(counts).to_contain_text(
        "1/1 modules (100%): 0 ok, 1 failed, 0 skipped, 0 pending; done in", timeout=60_000
    )
    expect(button).to_be_enabled(timeout=60_000)
    expect(table.locator("tbody tr")).to_contain_text(EVIL)
    expect(panel.locator(".wb-error")).to_have_count(0)

    # the hostile name never became markup
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.locator("img[onerror]").count() == 0
    assert page.locator(".jp-OutputArea img").count() == 0
    assert_no_page_errors(page)

    counts.scroll_into_view_if_needed()
    screenshot(page, "generation_progress")
    after_retry = counts.inner_text()

    # the graph view drawn, then changed; the notebook saved and opened in a new page
    _wait_for_trace(page, "REACHING_DEF", drawn=True)
    page.locator(".wb-graph-view .wb-layer-reaching_def").click()
    _wait_for_trace(page, "REACHING_DEF", drawn=False)
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(_SAVED, timeout=30_000)
    open_notebook(page, name)
    view = page.locator(".wb-graph-view").first
    expect(view.locator(".js-plotly-plot .main-svg").first).to_be_visible(timeout=60_000)
    _wait_for_trace(page, "CFG", drawn=True)
    names = _trace_names(view.locator(".js-plotly-plot").first)
    assert "nodes" in names and "REACHING_DEF" not in names, names
    panel = page.locator(".jp-OutputArea-output .widget-vbox").first
    counts = panel.locator(".widget-html-content", has_text="modules (")
    expect(counts).to_have_text(after_retry)
    expect(panel.locator(".widget-html-content table tbody tr")).to_contain_text(EVIL)
    screenshot(page, "reloaded")
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert_no_page_errors(page)


#: Code whose strings are markup: drawn as text in hovers, details and snippets.
EVIL_CODE = (
    "def show():\n"
    "    banner = '<svg onload=window.__xss=2></svg><img src=x onerror=window.__xss=3>'\n"
    "    return banner\n"
)


def _trace_names(plot) -> list[str]:
    """The names of the traces a plotly div draws (its ``data``)."""
    return plot.evaluate("(el) => el.data.map((t) => t.name)")


def _wait_for_trace(page, name: str, *, drawn: bool) -> None:
    """Wait until the first graph view's plot draws (or no longer draws) the trace ``name``;
    if it does not within a minute, fail saying what the plot draws."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            """([name, drawn]) => {
                const plot = document.querySelector(".wb-graph-view .js-plotly-plot");
                return !!plot && (plot.data || []).some((t) => t.name === name) === drawn;
            }""",
            arg=[name, drawn],
            timeout=60_000,
        )
    except PlaywrightTimeout:
        seen = page.evaluate(
            """() => Array.from(document.querySelectorAll(".wb-graph-view .js-plotly-plot"))
                .map((p) => (p.data || []).map((t) => t.name))"""
        )
        raise AssertionError(
            f"the trace {name!r} is {'not ' * drawn}drawn after 60 s; the graph views' plots "
            f"draw {seen}"
        ) from None


def test_explore_notebook(lab_page, tmp_path):
    """notebooks/explore.ipynb on a copy of the sample project with a hostile module: every
    widget renders; a layer toggle, a click on a node, the Fit and Refresh buttons, the
    explorer's module picker and the true-positive button run their Python callbacks (the
    label lands in the store); markup in names and code stays text; no page errors."""
    from playwright.sync_api import expect

    import workbench as wb
    from workbench.analysis.patterns.feedback import labels

    src = tmp_path / "src"
    shutil.copytree(ROOT / "data" / "sample_project", src)
    (src / EVIL).write_text(EVIL_CODE)
    store_dir = tmp_path / "store"
    name = copy_notebook(
        lab_page.lab,
        ROOT / "notebooks" / "explore.ipynb",
        store_dir=str(store_dir),
        source_dir=str(src),
        metrics_dir=str(tmp_path / "no-metrics"),
        workers=1,
    )
    page = lab_page
    open_notebook(page, name)
    run_all(page, timeout=300)

    # migration: migrated through the panel, legacy tables unchanged
    migration = page.locator(".wb-migration-panel").first
    expect(migration).to_be_visible()
    expect(migration.locator(".wb-verification")).to_contain_text("legacy fingerprints equal")
    screenshot(page, "explore_migration")

    # generation progress: done, the broken modules of the sample counted
    expect(page.locator(".jupyter-widgets .progress .progress-bar").first).to_be_visible()

    # the graph view: the notebook drew CFG and REACHING_DEF; toggling one off redraws
    view = page.locator(".wb-graph-view").first
    plot = view.locator(".js-plotly-plot").first
    expect(plot.locator(".main-svg").first).to_be_visible()
    # the figure's data arrives after its first (empty) drawing: wait for the traces (of the
    # plot in the page at each check: plotly may replace the element it first drew into)
    _wait_for_trace(page, "REACHING_DEF", drawn=True)
    view.locator(".wb-layer-reaching_def").click()
    _wait_for_trace(page, "REACHING_DEF", drawn=False)
    assert "CFG" in _trace_names(plot)
    # a click on a node: its details and source lines appear below the graph
    plot.scroll_into_view_if_needed()
    plot.locator(".scatterlayer .trace .points path").last.click(force=True)
    details = view.locator(".wb-node-details")
    expect(details.locator(".wb-node-props")).to_be_visible(timeout=60_000)
    view.locator(".wb-fit").click()
    screenshot(page, "explore_graph_view")

    # pattern results: a finding is selected; "True positive" records a label in the store
    results = page.locator(".wb-pattern-results").first
    expect(results.locator(".wb-findings-table table")).to_be_visible()
    expect(results.locator(".wb-snippet .wb-sink").first).to_be_visible()
    results.locator(".wb-tp").click()
    expect(results.locator(".wb-label-status")).to_contain_text(
        "labelled true positive", timeout=60_000
    )
    stored = labels(wb.open_store(store_dir))
    assert stored.verdict.tolist() == ["tp"]
    screenshot(page, "explore_findings")

    # the metrics dashboard renders its plots and refreshes
    # the notebook's own dashboard (the Explorer below holds another, in a tab not shown)
    cell = page.locator(".jp-CodeCell").filter(has_text="dashboard = MetricsDashboard(")
    dashboard = cell.locator(".wb-metrics-dashboard").first
    # below the fold: looked at as a user would, scrolled to; then the figure widget's
    # element (the anywidget view) and plotly's drawing in it are awaited apart, so that a
    # failure says which of the two never came
    dashboard.scroll_into_view_if_needed()
    expect(dashboard.locator(".wb-timings").first).to_be_attached(timeout=60_000)
    dashboard.locator(".wb-timings").first.scroll_into_view_if_needed()
    expect(dashboard.locator(".wb-timings .main-svg").first).to_be_visible(timeout=60_000)
    before = dashboard.locator(".wb-metrics-summary").inner_text()
    dashboard.locator(".wb-refresh").click()
    expect(dashboard.locator(".wb-metrics-summary")).not_to_have_text(before, timeout=60_000)

    # the explorer: picking the hostile module draws its method, markup shown as text
    explorer = page.locator(".wb-explorer").first
    expect(explorer).to_be_visible()
    picker = explorer.locator(".wb-module-picker select")
    picker.select_option(label=EVIL)
    graph = explorer.locator(".wb-graph-view .wb-graph-status")
    expect(graph).to_contain_text("show: ", timeout=60_000)
    expect(explorer.locator(".wb-method-metrics")).to_contain_text("show")
    # its details (raw HTML in the page): the code with markup, as text
    eplot = explorer.locator(".wb-graph-view .js-plotly-plot").first
    eplot.scroll_into_view_if_needed()
    eplot.locator(".scatterlayer .trace .points path").first.click(force=True)
    edetails = explorer.locator(".wb-node-details .wb-source")
    expect(edetails).to_contain_text("<img src=x onerror=window.__xss=3>", timeout=60_000)
    explorer.scroll_into_view_if_needed()
    screenshot(page, "explore_explorer")

    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.locator("img[onerror]").count() == 0
    assert page.locator("svg[onload]").count() == 0
    assert_no_page_errors(page)
