"""Findings of a pattern scan in a notebook: a filterable, sortable table, the source snippet
with the sink line marked, the taint path (as a table, and in a graph view), and True /
False-positive buttons that record feedback labels in the store.

The widget holds no logic: :func:`check_findings` validates a findings frame,
:func:`filter_findings` and :func:`sort_findings` choose and order its rows,
:func:`findings_table_html`, :func:`snippet_html`, :func:`finding_snippet` and
:func:`trace_frame` turn them into what is shown; all are plain functions, tested without a
browser. :class:`PatternResults` copies them into ipywidgets and records labels with
:func:`workbench.analysis.patterns.feedback.record_feedback`, showing any error in the panel,
never raising it. It shows any DataFrame with the columns of a scan's findings (the result of
:func:`workbench.analysis.patterns.scan` or of
:func:`~workbench.analysis.patterns.feedback.stored_findings`). Everything taken from the
findings or the source (messages, code, paths, notes) is HTML-escaped: analysed code is
untrusted.

Examples
--------
>>> import pandas as pd
>>> df = check_findings(pd.DataFrame({
...     "rule_id": ["py.code-injection", "py.weak-hash"],
...     "severity": ["error", "warning"],
...     "cwe": [[94], [327, 328]],
...     "path": ["app.py", "lib.py"],
...     "line": [2, 7],
...     "message": ["eval of <untrusted> data", "weak hash"],
... }))
>>> filter_findings(df, cwe=327).rule_id.tolist()
['py.weak-hash']
>>> sort_findings(df, "severity").rule_id.tolist()  # least severe first
['py.weak-hash', 'py.code-injection']
>>> "eval of &lt;untrusted&gt; data" in findings_table_html(df)
True
>>> html = snippet_html(["x = input()", "eval(x)", "print(x)"], 2, context=1)
>>> [line for line in html.split("\\n") if "wb-sink" in line]  # doctest: +ELLIPSIS
['<span class="wb-line wb-sink" ...>&#9654;    2 | eval(x)</span>']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import FindingsError, WorkbenchError
from workbench.widgets._common import error_html, esc, ipywidgets, table_html

__all__ = [
    "ALL",
    "REQUIRED_COLUMNS",
    "SORT_COLUMNS",
    "TABLE_COLUMNS",
    "TRACE_COLUMNS",
    "PatternResults",
    "check_findings",
    "filter_findings",
    "finding_snippet",
    "findings_table_html",
    "label_html",
    "snippet_html",
    "sort_findings",
    "trace_frame",
]

#: Columns a findings frame must have (the other ``findings`` columns are null when absent,
#: and a missing ``fingerprint`` is computed).
REQUIRED_COLUMNS = ("rule_id", "severity", "cwe", "path", "line", "message")
#: Columns the findings table shows (``#`` is the row's number in the findings given, the
#: number :meth:`PatternResults.select` takes; ``label`` is added when labels are known).
TABLE_COLUMNS = ("#", "rule", "severity", "CWE", "path", "line", "method", "message")
#: Columns :func:`sort_findings` sorts by.
SORT_COLUMNS = ("path", "line", "rule_id", "severity", "cwe", "method")
#: Columns of :func:`trace_frame`.
TRACE_COLUMNS = ("step", "module", "path", "line", "id", "code")
#: The value of a filter dropdown that keeps every finding.
ALL = "all"
#: Findings listed in the table; the rest are counted.
MAX_ROWS_SHOWN = 200
#: Lines of a long sink (a whole method) shown in the snippet; the rest are cut.
MAX_SINK_LINES = 40
#: Severities from the least to the most severe (others sort first).
SEVERITY_ORDER = ("note", "warning", "error")
#: Verdicts as the panel words them.
VERDICT_NAMES = {"tp": "true positive", "fp": "false positive"}

#: Columns searched by the ``text`` filter.
_TEXT_COLUMNS = ("rule_id", "message", "path", "method", "code", "source_code", "fingerprint")
_SINK_STYLE = "display: block; background: #ffe0e0; font-weight: bold"
_LINE_STYLE = "display: block"
_SELECTED_STYLE = "background: #fff3c4"


# -- the findings frame ------------------------------------------------------------------------


def check_findings(findings) -> pd.DataFrame:
    """A findings frame ready to show: a copy with every ``findings`` column (absent
    optional ones null) and a fingerprint on every row. Its index numbers the findings (the
    table's ``#``, what :meth:`PatternResults.select` takes): the caller's when it is unique
    integers (a filtered scan keeps its numbers), else 0, 1, 2, ...

    Parameters
    ----------
    findings : pandas.DataFrame
        Findings with at least :data:`REQUIRED_COLUMNS` (extra columns are kept).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    workbench.errors.FindingsError
        Not a DataFrame, required columns missing (named), or fingerprints that cannot be
        computed.

    Examples
    --------
    >>> check_findings(pd.DataFrame({"rule_id": ["r"]}))
    Traceback (most recent call last):
    ...
    workbench.errors.FindingsError: findings lack columns: severity, cwe, path, line, message (a scan's findings have them: workbench.analysis.patterns.scan)
    """  # noqa: E501
    from workbench.analysis.patterns.findings import assign_fingerprints
    from workbench.cpg.schema import FINDINGS

    if not isinstance(findings, pd.DataFrame):
        raise FindingsError(
            f"findings are a pandas DataFrame (a scan's result), not {type(findings).__name__}"
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in findings.columns]
    if missing:
        raise FindingsError(
            f"findings lack columns: {', '.join(missing)} "
            "(a scan's findings have them: workbench.analysis.patterns.scan)"
        )
    keep = findings.index.is_unique and pd.api.types.is_integer_dtype(findings.index)
    df = findings.copy() if keep else findings.reset_index(drop=True)
    for name in FINDINGS.names:
        if name not in df.columns:
            df[name] = pd.Series([None] * len(df), index=df.index, dtype=object)
    fps = df["fingerprint"]
    if len(df) and fps.isna().any():
        computed = assign_fingerprints(df)["fingerprint"]  # FindingsError when it cannot
        df["fingerprint"] = fps.astype(object).where(fps.notna(), computed)
    return df


def filter_findings(
    df: pd.DataFrame,
    *,
    rule: str | Iterable[str] | None = None,
    severity: str | Iterable[str] | None = None,
    cwe: int | str | None = None,
    module: str | int | None = None,
    text: str | None = None,
) -> pd.DataFrame:
    """The findings that pass every filter given (None or ``""``: no filter).

    Parameters
    ----------
    df
        Findings (:func:`check_findings`).
    rule, severity
        A rule id / severity, or several.
    cwe
        A CWE number (``78``, ``"78"`` or ``"CWE-78"``): findings whose rule lists it.
    module
        A module path, or a module key.
    text
        Case-insensitive text looked for in the rule id, message, path, method, code,
        source code and fingerprint.

    Returns
    -------
    pandas.DataFrame
        The rows kept, in order, with their index (their number in ``df``).
    """
    keep = np.ones(len(df), dtype=bool)
    if _given(rule):
        keep &= df["rule_id"].isin(_values(rule)).to_numpy(dtype=bool)
    if _given(severity):
        keep &= df["severity"].isin(_values(severity)).to_numpy(dtype=bool)
    if _given(cwe):
        number = _cwe_number(cwe)
        keep &= np.array([number in _cwes(v) for v in df["cwe"]], dtype=bool)
    if _given(module):
        if isinstance(module, str):
            keep &= (df["path"].astype(object) == module).to_numpy(dtype=bool)
        else:
            keep &= np.array([_int(v) == int(module) for v in df["module"]], dtype=bool)
    if _given(text):
        needle = str(text).casefold()
        hit = np.zeros(len(df), dtype=bool)
        for column in _TEXT_COLUMNS:
            if column in df.columns:
                hit |= np.array(
                    [needle in str(v).casefold() for v in df[column].astype(object)], dtype=bool
                ) & df[column].notna().to_numpy(dtype=bool)
        keep &= hit
    return df[keep]


def sort_findings(df: pd.DataFrame, by: str = "path", ascending: bool = True) -> pd.DataFrame:
    """The findings ordered by ``by``, then path, line, column and rule (missing values last).

    Severity sorts by :data:`SEVERITY_ORDER` (``ascending``: least severe first), ``cwe`` by
    the rule's first CWE number.

    Returns
    -------
    pandas.DataFrame
        The same rows, with their index.

    Raises
    ------
    ValueError
        ``by`` is not one of :data:`SORT_COLUMNS`.
    """
    if by not in SORT_COLUMNS:
        raise ValueError(f"sort by one of {', '.join(SORT_COLUMNS)}, not {by!r}")
    if by == "severity":
        rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
        primary = [rank.get(v, -1) if isinstance(v, str) else None for v in df["severity"]]
    elif by == "cwe":
        primary = [min(_cwes(v), default=None) for v in df["cwe"]]
    else:
        primary = [_plain(v) for v in df[by]]
    keys = pd.DataFrame(
        {
            "k": pd.Series(primary, dtype=object),
            "path": pd.Series([_plain(v) for v in df["path"]], dtype=object),
            "line": pd.Series([_int(v) for v in df["line"]], dtype=object),
            "col": pd.Series([_int(v) for v in _column(df, "col")], dtype=object),
            "rule": pd.Series([_plain(v) for v in df["rule_id"]], dtype=object),
            "row": np.arange(len(df)),
        }
    )
    keys = keys.sort_values(
        ["k", "path", "line", "col", "rule", "row"],
        ascending=[ascending, True, True, True, True, True],
        na_position="last",
        kind="stable",
    )
    return df.iloc[keys["row"].to_numpy()]


# -- HTML ------------------------------------------------------------------------------------------


def findings_table_html(
    df: pd.DataFrame,
    selected: int | None = None,
    *,
    verdicts: Mapping[str, str] | None = None,
    limit: int = MAX_ROWS_SHOWN,
) -> str:
    """The findings as an escaped HTML table (columns :data:`TABLE_COLUMNS`).

    Parameters
    ----------
    df
        Findings (:func:`check_findings`, maybe filtered and sorted): ``#`` shows the index.
    selected
        Index of the row to highlight (class ``wb-selected``).
    verdicts
        Fingerprint -> verdict (``tp`` / ``fp``): adds a ``label`` column.
    limit
        Rows shown; the rest are counted.
    """
    if len(df) == 0:
        return "<i>no findings</i>"
    heads = [*TABLE_COLUMNS, *(["label"] if verdicts is not None else [])]
    out = [
        '<table class="wb-table wb-findings" border="0"><thead><tr>',
        *(f"<th>{esc(h)}</th>" for h in heads),
        "</tr></thead><tbody>",
    ]
    shown = df.head(limit)
    for i, row in zip(shown.index, shown.to_dict("records"), strict=True):
        cells = [
            i,
            row["rule_id"],
            row["severity"],
            cwe_text(row["cwe"]),
            row["path"],
            _int(row["line"]),
            row.get("method"),
            row["message"],
        ]
        if verdicts is not None:
            cells.append(VERDICT_NAMES.get(verdicts.get(row["fingerprint"]), ""))
        sev = row["severity"] if row["severity"] in SEVERITY_ORDER else "other"
        attrs = f' class="wb-selected" style="{_SELECTED_STYLE}"' if i == selected else ""
        out.append(f'<tr data-row="{int(i)}"{attrs}>')
        for head, cell in zip(heads, cells, strict=True):
            klass = f' class="wb-sev-{sev}"' if head == "severity" else ""
            out.append(f"<td{klass}>{esc(_plain(cell))}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    if len(df) > limit:
        out.append(f"<p>and {len(df) - limit} more</p>")
    return "".join(out)


def snippet_html(
    lines: list[str] | None,
    line: int | None,
    end_line: int | None = None,
    context: int = 3,
    *,
    title: str | None = None,
    reason: str = "",
) -> str:
    """Source lines around a sink, numbered, the sink lines marked (class ``wb-sink``).

    Parameters
    ----------
    lines
        The file's lines (``lines[0]`` is line 1), or None when the source is not available.
    line, end_line
        The sink's first and last lines (1-based; ``end_line`` defaults to ``line``). A sink
        longer than :data:`MAX_SINK_LINES` is cut.
    context
        Lines shown before and after the sink.
    title
        A heading (the path, say).
    reason
        Why ``lines`` is None (shown after "source not available").

    Returns
    -------
    str
        Escaped HTML.
    """
    head = f"<div><b>{esc(title)}</b></div>" if title else ""
    if lines is None:
        why = f": {esc(reason)}" if reason else ""
        return f'{head}<div class="wb-snippet-missing"><i>source not available{why}</i></div>'
    first = _int(line)
    if first is None:
        return f"{head}<i>this finding has no line</i>"
    if not 1 <= first <= len(lines):
        return f"{head}<i>line {first} is not in the file ({len(lines)} lines)</i>"
    last = _int(end_line)
    last = first if last is None or last < first else min(last, len(lines))
    cut = last - first + 1 > MAX_SINK_LINES
    shown_last = first + MAX_SINK_LINES - 1 if cut else last
    lo = max(1, first - max(context, 0))
    hi = shown_last if cut else min(len(lines), last + max(context, 0))
    width = max(4, len(str(hi)))
    rows = []
    for n in range(lo, hi + 1):
        sink = first <= n <= last
        mark = "&#9654;" if sink else " "
        klass, style = ("wb-line wb-sink", _SINK_STYLE) if sink else ("wb-line", _LINE_STYLE)
        text = f"{mark} {n:>{width}} | {esc(lines[n - 1])}"
        rows.append(f'<span class="{klass}" style="{style}">{text}</span>')
    more = f"<i>... {last - shown_last} more lines of the sink</i>" if cut else ""
    return f'{head}<pre class="wb-snippet-code">' + "\n".join(rows) + f"</pre>{more}"


def finding_snippet(source: Any, finding: Mapping[str, Any], context: int = 3) -> str:
    """The snippet (:func:`snippet_html`) of a finding's sink, read from ``source``.

    Parameters
    ----------
    source
        A :class:`~workbench.store.Store`, a :class:`~workbench.pipeline.project.Project` or
        a :class:`~workbench.analysis.tables.CodeTables`: the lines are those of the module's
        file as it was ingested (:func:`workbench.widgets.source.source_lines`; an edited file
        is not shown). A mapping of path -> source text is read as it is. None: "source not
        available".
    finding
        A row of findings (a mapping or a pandas Series): ``module`` or ``path``, ``line``,
        ``end_line``.
    """
    lines, reason = _finding_lines(source, finding)
    title = _location(finding.get("path"), finding.get("line"))
    return snippet_html(
        lines,
        _int(finding.get("line")),
        _int(finding.get("end_line")),
        context,
        title=title,
        reason=reason,
    )


def trace_frame(finding: Mapping[str, Any], store=None) -> pd.DataFrame:
    """The taint path of a finding, from the source to the sink, one row per step.

    Columns :data:`TRACE_COLUMNS`: ``path`` is the finding's path for its own module and is
    read from ``store`` for the others; ``code`` is read from the store's nodes (null
    without a store). A finding without a trace gives an empty frame.

    Raises
    ------
    workbench.errors.FindingsError
        A trace step is not a ``{module, id, line}`` mapping.
    """
    steps = []
    for n, step in enumerate(_seq(finding.get("trace"))):
        if not isinstance(step, Mapping) or "module" not in step or "id" not in step:
            raise FindingsError(
                f"trace step {n} of finding {finding.get('fingerprint')!r} is not a "
                "{module, id, line} mapping"
            )
        steps.append((n, _int(step["module"]), _int(step["id"]), _int(step.get("line"))))
    df = pd.DataFrame(steps, columns=["step", "module", "id", "line"], dtype=object)
    paths: dict[int | None, Any] = {}
    codes: dict[tuple[int | None, int | None], Any] = {}
    if store is not None and steps:
        paths, codes = _store_lookup(store, df)
    own = _int(finding.get("module"))
    if own is not None:
        paths[own] = _plain(finding.get("path"))
    df["path"] = [paths.get(m) for m in df["module"]]
    df["code"] = [codes.get((m, i)) for m, i in zip(df["module"], df["id"], strict=True)]
    return df[list(TRACE_COLUMNS)]


def label_html(label: Mapping[str, Any] | None) -> str:
    """A recorded label (``verdict``, ``note``, ``author``, ``labelled_at``) as an escaped
    line; no label: "not labelled"."""
    if not label:
        return "<i>not labelled</i>"
    verdict = VERDICT_NAMES.get(label.get("verdict"), label.get("verdict"))
    color = "#1b5e20" if label.get("verdict") == "tp" else "#b00020"
    parts = [f'labelled <b style="color: {color}">{esc(verdict)}</b>']
    if _plain(label.get("author")):
        parts.append(f" by {esc(label['author'])}")
    when = _plain(label.get("labelled_at"))
    if when is not None:
        parts.append(f" at {esc(pd.Timestamp(when).strftime('%Y-%m-%d %H:%M'))}")
    if _plain(label.get("note")):
        parts.append(f": {esc(label['note'])}")
    return "".join(parts)


def cwe_text(value) -> str:
    """CWE numbers as ``CWE-78, CWE-89`` (plain text)."""
    return ", ".join(f"CWE-{n}" for n in _cwes(value))


# -- the widget ------------------------------------------------------------------------------------


class PatternResults:
    """A panel of findings: filter, sort, pick one, read its code and taint path, label it.

    ``PatternResults(scan(store), store=store)``; ``display(panel)``.

    Parameters
    ----------
    findings : pandas.DataFrame or None
        Findings (columns of a scan's; :func:`check_findings`). None: the findings saved in
        ``store`` (:func:`~workbench.analysis.patterns.feedback.stored_findings`).
    store
        Where labels are recorded (and read), and source snippets and trace code read.
        Without it the True / False-positive buttons are disabled.
    graph_view
        A :class:`workbench.widgets.graph_view.GraphView` (anything with ``tables.gid`` and
        ``show(method, module=, highlight=)``): a selected taint finding's method is shown
        there with its path highlighted.
    sources
        Where snippets are read when it is not ``store`` (a Project, CodeTables or a mapping
        path -> text; default: ``store``, else the graph view's tables).

    Raises
    ------
    workbench.errors.FindingsError
        The findings cannot be shown (missing columns...); nothing else is raised.

    Widgets (ipywidgets, in :attr:`widget`, a ``VBox`` of class ``wb-pattern-results``):
    the filters :attr:`rule`, :attr:`severity`, :attr:`cwe`, :attr:`module` (``Dropdown``
    with an ``all`` option) and :attr:`search` (``Text``); :attr:`sort` (``Dropdown``) and
    :attr:`descending` (``Checkbox``); :attr:`selector` (``Dropdown`` of the findings shown);
    :attr:`table` (``HTML``, ``wb-findings-table``), :attr:`snippet` (``HTML``,
    ``wb-snippet``), :attr:`trace` (``HTML``, ``wb-trace``); :attr:`note` (``Text``),
    :attr:`tp_button` (``wb-tp``) and :attr:`fp_button` (``wb-fp``); :attr:`label_status`
    (``HTML``, ``wb-label-status``) and :attr:`error` (``HTML``, ``wb-errors``).
    """

    def __init__(self, findings=None, *, store=None, graph_view=None, sources=None) -> None:
        w = ipywidgets()
        if findings is None:
            if store is None:
                raise FindingsError(
                    "give findings (a scan's DataFrame) or a store whose findings were saved"
                )
            from workbench.analysis.patterns.feedback import stored_findings

            findings = stored_findings(store)
        #: the findings shown (validated copy: 0-based index, every findings column)
        self.findings = check_findings(findings)
        self.store = store
        self.graph_view = graph_view
        if sources is None:
            sources = store if store is not None else getattr(graph_view, "tables", None)
        self.sources = sources
        #: fingerprint -> the label recorded (verdict, note, author, labelled_at)
        self.labels: dict[str, dict] = {}
        #: why labels cannot be recorded ("" when they can)
        self.label_problem = (
            "no store to record labels in: PatternResults(findings, store=store)"
            if store is None
            else ""
        )
        #: the findings that pass the filters, in the order chosen
        self.view = self.findings
        #: number (index in :attr:`findings`) of the selected finding, or None
        self.selected: int | None = None
        self._updating = False

        df = self.findings
        self.rule = w.Dropdown(options=_options(df["rule_id"]), value=ALL, description="rule")
        self.severity = w.Dropdown(
            options=_options(df["severity"], key=_severity_key),
            value=ALL,
            description="severity",
        )
        cwes = sorted({n for v in df["cwe"] for n in _cwes(v)})
        self.cwe = w.Dropdown(
            options=[(ALL, ALL), *((f"CWE-{n}", n) for n in cwes)], value=ALL, description="CWE"
        )
        self.module = w.Dropdown(options=_options(df["path"]), value=ALL, description="module")
        self.search = w.Text(
            value="",
            placeholder="text in message, code, path...",
            description="search",
            continuous_update=False,
        )
        self.sort = w.Dropdown(options=SORT_COLUMNS, value="path", description="sort by")
        self.descending = w.Checkbox(value=False, description="descending")
        self.selector = w.Dropdown(options=[], description="finding")
        self.table = w.HTML(value="")
        self.snippet = w.HTML(value="")
        self.trace = w.HTML(value="")
        self.note = w.Text(value="", placeholder="note (optional)", description="note")
        why = self.label_problem
        self.tp_button = w.Button(
            description="True positive",
            icon="check",
            button_style="success",
            tooltip=why or "record that this finding is a true positive",
            disabled=store is None,
        )
        self.fp_button = w.Button(
            description="False positive",
            icon="times",
            button_style="danger",
            tooltip=why or "record that this finding is a false positive",
            disabled=store is None,
        )
        self.label_status = w.HTML(value=esc(why))
        self.error = w.HTML(value="")
        for widget, klass in (
            (self.table, "wb-findings-table"),
            (self.snippet, "wb-snippet"),
            (self.trace, "wb-trace"),
            (self.tp_button, "wb-tp"),
            (self.fp_button, "wb-fp"),
            (self.label_status, "wb-label-status"),
            (self.error, "wb-errors"),
        ):
            widget.add_class(klass)
        for control in (self.rule, self.severity, self.cwe, self.module, self.search):
            control.observe(self._on_filter, names="value")
        self.sort.observe(self._on_filter, names="value")
        self.descending.observe(self._on_filter, names="value")
        self.selector.observe(self._on_select, names="value")
        self.tp_button.on_click(self._on_tp)
        self.fp_button.on_click(self._on_fp)
        self.widget = w.VBox(
            [
                w.HBox([self.rule, self.severity, self.cwe]),
                w.HBox([self.module, self.search]),
                w.HBox([self.sort, self.descending]),
                self.selector,
                self.table,
                self.snippet,
                self.trace,
                w.HBox([self.tp_button, self.fp_button, self.note]),
                self.label_status,
                self.error,
            ]
        )
        self.widget.add_class("wb-pattern-results")
        problem = self._read_labels() if store is not None else None
        self._drive_graph = False  # the view is the caller's until a finding is picked
        self.refresh()
        self._drive_graph = True
        if problem is not None:
            self._show_error(problem)

    # -- filters, order, selection --------------------------------------------------------

    def filters(self) -> dict[str, Any]:
        """The filters set in the controls, as :func:`filter_findings` keywords."""
        values = {
            "rule": self.rule.value,
            "severity": self.severity.value,
            "cwe": self.cwe.value,
            "module": self.module.value,
            "text": self.search.value,
        }
        return {k: v for k, v in values.items() if v != ALL and v != ""}

    def clear_filters(self) -> None:
        """Show every finding."""
        self._updating = True
        try:
            for control in (self.rule, self.severity, self.cwe, self.module):
                control.value = ALL
            self.search.value = ""
        finally:
            self._updating = False
        self.refresh()

    def refresh(self) -> None:
        """Filter and sort the findings as the controls say, and show them."""
        self.error.value = ""
        try:
            view = filter_findings(self.findings, **self.filters())
            self.view = sort_findings(view, self.sort.value, not self.descending.value)
        except Exception as e:  # a widget callback has nowhere to raise to
            self._show_error(e)
            return
        if self.selected not in self.view.index:
            self.selected = int(self.view.index[0]) if len(self.view) else None
        self._fill_selector()
        self._render_table()
        self._render_selected()

    def _fill_selector(self) -> None:
        """The dropdown: the first rows of the view (as many as the table shows) and the
        selected finding."""
        self._updating = True
        try:
            shown = self.view[["severity", "rule_id", "path", "line"]].head(MAX_ROWS_SHOWN)
            if self.selected is not None and self.selected not in shown.index:
                shown = pd.concat([shown, self.view.loc[[self.selected], shown.columns]])
            self.selector.options = [
                (_choice_label(i, row), int(i))
                for i, row in zip(shown.index, shown.to_dict("records"), strict=True)
            ]
            self.selector.value = self.selected
        finally:
            self._updating = False

    def select(self, i: int) -> dict | None:
        """Select finding number ``i`` (its index in :attr:`findings`, the table's ``#``);
        filters that hide it are cleared. Returns the finding, or None with the error shown."""
        self.error.value = ""
        if isinstance(i, bool) or not isinstance(i, int | np.integer):
            self.error.value = error_html(f"select a finding by its number, not {i!r}")
            return None
        if i not in self.findings.index:
            self.error.value = error_html(
                f"no finding {i}: select one by its number, the table's # column"
            )
            return None
        self.selected = int(i)
        if self.selected not in self.view.index:
            self.clear_filters()  # keeps the selection: it is in the full view
        else:
            self._fill_selector()
            self._render_table()
            self._render_selected()
        return self.finding

    @property
    def finding(self) -> dict | None:
        """The selected finding (a dict of its columns), or None."""
        if self.selected is None:
            return None
        return self.findings.loc[self.selected].to_dict()

    # -- labels --------------------------------------------------------------------------

    def label(self, verdict: str, note: str | None = None):
        """Record a label (``tp`` / ``fp``, with a note) on the selected finding in
        :attr:`store`; a new one replaces the old. Returns the label row written, or None
        with the error shown in :attr:`error`."""
        from workbench.analysis.patterns.feedback import record_feedback

        self.error.value = ""
        if self.label_problem:
            self.error.value = error_html(self.label_problem)
            return None
        finding = self.finding
        if finding is None:
            self.error.value = error_html("select a finding to label")
            return None
        try:
            row = record_feedback(
                self.store,
                finding["fingerprint"],
                verdict,
                (note or "").strip() or None,
                findings=self.findings,
            )
        except Exception as e:  # a button has nowhere to raise to: the panel shows it
            self._show_error(e)
            return None
        self.labels[finding["fingerprint"]] = row.iloc[0].to_dict()
        self.note.value = ""
        self._render_table()
        self.label_status.value = label_html(self.labels[finding["fingerprint"]])
        return row

    def _read_labels(self) -> Exception | None:
        """Read the store's labels; on failure (a store without CPG support) disable the
        buttons and return the error."""
        from workbench.analysis.patterns.feedback import labels

        try:
            df = labels(self.store)
        except Exception as e:
            self.label_problem = f"cannot record labels: {type(e).__name__}: {e}"
            self.tp_button.disabled = self.fp_button.disabled = True
            self.tp_button.tooltip = self.fp_button.tooltip = self.label_problem
            self.label_status.value = esc(self.label_problem)
            return e
        self.labels = {r["fingerprint"]: r for r in df.to_dict("records")}
        return None

    # -- rendering -----------------------------------------------------------------------

    def _render_table(self) -> None:
        verdicts = (
            {fp: r["verdict"] for fp, r in self.labels.items()} if not self.label_problem else None
        )
        count = f"<b>{len(self.view)} of {len(self.findings)} findings</b>"
        self.table.value = count + findings_table_html(self.view, self.selected, verdicts=verdicts)

    def _render_selected(self) -> None:
        finding = self.finding
        if finding is None:
            self.snippet.value = self.trace.value = ""
            if not self.label_problem:
                self.label_status.value = ""
            return
        try:
            self.snippet.value = finding_snippet(self.sources, finding)
        except Exception as e:
            self.snippet.value = error_html(f"no snippet: {type(e).__name__}: {e}")
        steps = self._trace(finding)
        if steps is not None:
            self.trace.value = (
                "<b>taint path</b> (source first)" + table_html(steps) if len(steps) else ""
            )
        if not self.label_problem:
            self.label_status.value = label_html(self.labels.get(finding["fingerprint"]))
        if self.graph_view is not None and self._drive_graph:
            self._show_graph(finding, steps)

    def _trace(self, finding: dict) -> pd.DataFrame | None:
        """The finding's trace, with paths and code from the store when it can give them."""
        try:
            try:
                return trace_frame(finding, self.store)
            except FindingsError:
                raise
            except Exception:  # a store without CPG tables: the trace without its code
                return trace_frame(finding)
        except Exception as e:
            self.trace.value = error_html(f"no taint path: {type(e).__name__}: {e}")
            return None

    def _show_graph(self, finding: dict, steps: pd.DataFrame | None) -> None:
        """Draw the finding's method: the one holding its node (two methods may share a
        name), else the one named; its taint path highlighted."""
        tables = self.graph_view.tables
        method, module = _plain(finding.get("method")), _int(finding.get("module"))
        node = _int(finding.get("node"))
        try:
            if module is not None and node is not None and (g := tables.gid(module, node)) >= 0:
                holder = int(tables.node_method[g])
                method = int(tables.nodes.column("id")[holder].as_py())
            if method is None:
                return
            gids = np.zeros(0, np.int64)
            if steps is not None and len(steps):
                gids = np.asarray(
                    tables.gid(
                        np.asarray(steps["module"], np.int64), np.asarray(steps["id"], np.int64)
                    )
                )
            self.graph_view.show(method, module=module, highlight=gids[gids >= 0])
        except Exception as e:  # a method too big to draw, a graph of another program...
            self._show_error(e, prefix="graph view: ")

    def _show_error(self, e: Exception, prefix: str = "") -> None:
        self.error.value = error_html(f"{prefix}{type(e).__name__}: {e}")

    # -- callbacks -----------------------------------------------------------------------

    def _on_filter(self, _change) -> None:
        if not self._updating:
            self.refresh()

    def _on_select(self, change) -> None:
        if not self._updating and change["new"] is not None:
            self.select(change["new"])

    def _on_tp(self, _button) -> None:
        self.label("tp", self.note.value)

    def _on_fp(self, _button) -> None:
        self.label("fp", self.note.value)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


# -- helpers -------------------------------------------------------------------------------------


def _isna(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, list | tuple | dict | np.ndarray):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    """None for nulls (None, NaN, NA, NaT), Python scalars for numpy ones."""
    if _isna(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _int(value: Any) -> int | None:
    value = _plain(value)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _seq(value: Any) -> list:
    """A list column's value as a list (null: empty)."""
    if _isna(value):
        return []
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _cwes(value: Any) -> tuple[int, ...]:
    out = []
    for v in _seq(value):
        n = _cwe_number(v) if isinstance(v, str) else _int(v)
        if n is not None:
            out.append(n)
    return tuple(out)


def _cwe_number(value: Any) -> int | None:
    if isinstance(value, str):
        text = value.strip().upper().removeprefix("CWE-")
        return int(text) if text.isdigit() else None
    return _int(value)


def _given(value: Any) -> bool:
    return not (_isna(value) or value == "" or value == ALL)


def _values(value: Any) -> list:
    return [value] if isinstance(value, str) else list(value)


def _column(df: pd.DataFrame, name: str):
    return df[name] if name in df.columns else [None] * len(df)


def _location(path: Any, line: Any) -> str:
    path, line = _plain(path), _int(line)
    if path is None:
        return "" if line is None else f"line {line}"
    return str(path) if line is None else f"{path}:{line}"


def _options(values: pd.Series, key=None) -> list[tuple[str, str]]:
    distinct = sorted({v for v in values if isinstance(v, str)}, key=key)
    return [(ALL, ALL), *((v, v) for v in distinct)]


def _severity_key(severity: str) -> tuple[int, str]:
    order = SEVERITY_ORDER[::-1]  # most severe first in the dropdown
    return (order.index(severity) if severity in order else len(order), severity)


def _choice_label(i: int, row: Mapping[str, Any]) -> str:
    """A finding as a plain-text dropdown option (not HTML: the browser shows it as text)."""
    where = _location(row.get("path"), row.get("line"))
    return f"#{i} {row.get('severity')} {row.get('rule_id')} {where}"


def _finding_lines(source: Any, finding: Mapping[str, Any]) -> tuple[list[str] | None, str]:
    if source is None:
        return None, "no store or project to read it from"
    path = _plain(finding.get("path"))
    if isinstance(source, Mapping):
        text = source.get(path) if isinstance(path, str) else None
        if not isinstance(text, str):
            return None, f"no source text for {path!r}"
        return text.splitlines(), ""
    from workbench.widgets.source import source_lines

    module = _int(finding.get("module"))
    target = module if module is not None else path
    if target is None:
        return None, "the finding names no module"
    try:
        return source_lines(source, target)
    except (WorkbenchError, OSError, LookupError) as e:
        return None, str(e)


def _store_lookup(store, steps: pd.DataFrame) -> tuple[dict, dict]:
    """Paths of the trace's modules and code of its nodes, read from the store."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = pa.array(sorted({m for m in steps["module"] if m is not None}), pa.int64())
    ids = pa.array(sorted({i for i in steps["id"] if i is not None}), pa.int32())
    mods = store.read_table("modules", pc.field("module").isin(keys), columns=["module", "path"])
    paths = dict(zip(mods["module"].to_pylist(), mods["path"].to_pylist(), strict=True))
    nodes = store.read_table(
        "cpg_nodes",
        pc.field("module").isin(keys) & pc.field("id").isin(ids),
        columns=["module", "id", "code"],
    )
    codes = {
        (m, i): c
        for m, i, c in zip(
            nodes["module"].to_pylist(),
            nodes["id"].to_pylist(),
            nodes["code"].to_pylist(),
            strict=True,
        )
    }
    return paths, codes
