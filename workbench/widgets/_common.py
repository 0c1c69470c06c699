"""What every widget shares: importing ipywidgets, escaping, errors shown in a panel, a
plotly figure's state kept for the views that open later."""

from __future__ import annotations

import copy
import html
from types import ModuleType

__all__ = ["error_html", "esc", "ipywidgets", "keep_figure_state", "table_html"]


def ipywidgets() -> ModuleType:
    """The ipywidgets module, or :class:`~workbench.errors.MissingDependencyError`."""
    try:
        import ipywidgets as w
    except ImportError:  # pragma: no cover - depends on the environment
        from workbench.errors import MissingDependencyError

        raise MissingDependencyError("ipywidgets", "jupyter") from None
    return w


def esc(value) -> str:
    """``value`` as text safe inside HTML and plotly labels (None and NaN as "").

    ``&``, ``<`` and ``>`` become entities, quotes numeric ones: plotly draws those as the
    characters, but shows a named ``&quot;`` literally.

    >>> esc('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&#34;alert(1)&#34;&gt;'
    >>> esc(None)
    ''
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return html.escape(str(value), quote=False).replace('"', "&#34;").replace("'", "&#39;")


def error_html(message: str) -> str:
    """An error line for a panel (escaped; widgets show errors, they never raise them)."""
    return f'<span class="wb-error" style="color: #b00020">{esc(message)}</span>'


def table_html(df, *, limit: int = 200, classes: str = "wb-table") -> str:
    """A DataFrame as an escaped HTML table of at most ``limit`` rows (the rest counted)."""
    if df is None or len(df) == 0:
        return "<i>none</i>"
    body = df.head(limit).to_html(index=False, escape=True, border=0, na_rep="", classes=classes)
    more = f"<p>and {len(df) - limit} more</p>" if len(df) > limit else ""
    return body + more


def keep_figure_state(fig) -> None:
    """Copy what the plotly ``FigureWidget`` ``fig`` draws into its widget state.

    plotly sends each change (``add_traces``, a relayout) to the browser as a one-off
    message; the synced state (``_widget_data``, ``_widget_layout``) stays what the figure
    was made with. A browser model made later from the kernel's state (the page reloaded, the
    notebook opened again while its kernel runs) would draw that: for our widgets, an empty
    plot. Called after each change, this makes such a view draw the figure as it is.
    """
    fig._widget_data = copy.deepcopy(fig._data)
    fig._widget_layout = copy.deepcopy(fig._layout)
