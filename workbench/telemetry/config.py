"""The thresholds of the telemetry reports, in one mutable object.

Examples
--------
>>> settings.slow_query_seconds
0.5
>>> is_slow(0.7), is_slow(0.1), is_slow(None)
(True, False, False)
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Settings", "is_slow", "settings"]


def _default_sizes() -> dict[str, dict[str, float]]:
    # A Delta table of many small files reads slowly: compact it
    # (workbench.store.maintenance.compact). Rows and bytes have no default limit.
    return {"*": {"files": 10_000}}


@dataclass
class Settings:
    """Thresholds used by :mod:`workbench.telemetry` (change the attributes of
    :data:`settings`).

    Attributes
    ----------
    slow_query_seconds : float
        A query that takes at least this long is slow (:func:`is_slow`).
    size_thresholds : dict
        Table name, or ``"*"`` for every table, -> ``{"rows" | "bytes" | "files": limit}``.
        A table's own limits override those of ``"*"`` measure by measure (a limit of None
        removes the ``"*"`` one). Default: more than 10,000 files in any table.
    regression_factor : float
        A run regressed when it took more than this many times the median of the earlier
        runs (and more than 3 MADs above it; see :func:`workbench.telemetry.regressions`).
    regression_window : int
        The baseline is the last ``regression_window`` earlier runs.
    regression_min_runs : int
        A run is judged only after at least this many earlier runs.
    """

    slow_query_seconds: float = 0.5
    size_thresholds: dict[str, dict[str, float]] = field(default_factory=_default_sizes)
    regression_factor: float = 1.5
    regression_window: int = 20
    regression_min_runs: int = 5


#: The settings in effect (mutable).
settings = Settings()


def is_slow(seconds: float | None) -> bool:
    """Did a query take at least ``settings.slow_query_seconds``? (False for None.)"""
    return seconds is not None and seconds >= settings.slow_query_seconds
