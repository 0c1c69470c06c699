"""A circuit breaker for expensive graph algorithms.

Each algorithm has a :class:`Budget`: the largest graph (nodes, edges) it may run on and the
time a run may take. Before a run, :meth:`CircuitBreaker.admit` compares the graph with the
budget; over it, the caller answers with the algorithm's approximate variant where there is one
or refuses with :class:`~workbench.errors.CircuitOpenError`. A run that raises or takes longer
than its time budget is a failure; ``failure_threshold`` failures in a row *open* the breaker
for ``cooldown`` seconds, during which every request of that algorithm is refused at once;
after the cool-down one trial run is let through (*half-open*): success closes the breaker,
failure opens it again. Time budgets are measured, not enforced by interrupting a run (a
compiled routine cannot be stopped safely); the size budgets keep runs from starting that
cannot finish in time.

Examples
--------
>>> t = [0.0]
>>> breaker = CircuitBreaker({"pagerank": Budget(max_nodes=10)}, failure_threshold=2,
...                          cooldown=30, clock=lambda: t[0])
>>> breaker.admit("pagerank", nodes=5, edges=9)
True
>>> breaker.admit("pagerank", nodes=50, edges=90)
False
>>> for _ in range(2):
...     breaker.failure("pagerank", "MemoryError")
>>> row = breaker.state().iloc[0]
>>> row.algorithm, row.state, int(row.trips)
('pagerank', 'open', 1)
>>> t[0] = 31.0
>>> breaker.admit("pagerank", nodes=5, edges=9)  # half-open: one trial
True
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from workbench import telemetry
from workbench.errors import CircuitOpenError

__all__ = ["Budget", "CircuitBreaker"]

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


@dataclass(frozen=True)
class Budget:
    """The largest input an algorithm may run on exactly and the time a run may take
    (``None``: no limit)."""

    max_nodes: int | None = None
    max_edges: int | None = None
    max_seconds: float | None = None

    def exceeded(self, nodes: int, edges: int) -> str | None:
        """Why a graph of this size is over the budget, or None."""
        if self.max_nodes is not None and nodes > self.max_nodes:
            return f"{nodes:,} nodes > budget {self.max_nodes:,}"
        if self.max_edges is not None and edges > self.max_edges:
            return f"{edges:,} edges > budget {self.max_edges:,}"
        return None


@dataclass
class _Circuit:
    state: str = CLOSED
    failures: int = 0  # in a row
    runs: int = 0
    trips: int = 0
    over_budget: int = 0
    refused: int = 0
    opened_at: float | None = None
    last_error: str | None = None


class CircuitBreaker:
    """Per-algorithm budgets and circuits; see the module docstring."""

    def __init__(
        self,
        budgets: Mapping[str, Budget] | None = None,
        *,
        failure_threshold: int = 3,
        cooldown: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        store: Any = None,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, not {failure_threshold}")
        if cooldown < 0:
            raise ValueError(f"cooldown must be >= 0, not {cooldown}")
        self.budgets: dict[str, Budget] = dict(budgets or {})
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self._clock = clock
        self._circuits: dict[str, _Circuit] = {}
        self._events: list[dict] = []
        self._store = store  # the store telemetry events go to (a path), if any

    def budget(self, algorithm: str) -> Budget:
        return self.budgets.get(algorithm, Budget())

    def _circuit(self, algorithm: str) -> _Circuit:
        return self._circuits.setdefault(algorithm, _Circuit())

    def _event(self, algorithm: str, event: str, detail: str) -> None:
        telemetry.emit(
            "breaker",
            store=self._store,
            detail=detail,
            metadata={"algorithm": algorithm, "transition": event},
        )
        self._events.append(
            {
                "ts": dt.datetime.now(dt.UTC),
                "algorithm": algorithm,
                "event": event,
                "detail": detail,
            }
        )

    # -- the protocol -----------------------------------------------------------------------

    def admit(self, algorithm: str, *, nodes: int, edges: int) -> bool:
        """May ``algorithm`` run exactly on a graph of this size? False when over budget
        (the caller approximates or calls :meth:`refuse`).

        Raises
        ------
        CircuitOpenError
            The circuit is open (cooling down after repeated failures).
        """
        c = self.ensure_closed(algorithm)
        why = self.budget(algorithm).exceeded(nodes, edges)
        if why is not None:
            c.over_budget += 1
            self._event(algorithm, "over budget", why)
            return False
        return True

    def ensure_closed(self, algorithm: str) -> _Circuit:
        """Raise while the circuit is open; after the cool-down, let one trial through.

        Raises
        ------
        CircuitOpenError
            The circuit is open (cooling down after repeated failures).
        """
        c = self._circuit(algorithm)
        if c.state == OPEN:
            assert c.opened_at is not None
            left = c.opened_at + self.cooldown - self._clock()
            if left > 0:
                c.refused += 1
                self._event(algorithm, "refused", f"open, {left:.0f} s of cool-down left")
                raise CircuitOpenError(
                    algorithm,
                    f"circuit open after {c.failures} failed run(s) (last: {c.last_error}); "
                    f"it lets one trial run through in {left:.0f} s, or call "
                    f"breaker.reset({algorithm!r}) to close it now",
                )
            c.state = HALF_OPEN
            self._event(algorithm, "half-open", "cool-down over: one trial run")
        return c

    def refuse(self, algorithm: str, nodes: int, edges: int, advice: str) -> CircuitOpenError:
        """The error for a request over budget with no approximate variant (recorded)."""
        self._circuit(algorithm).refused += 1
        why = self.budget(algorithm).exceeded(nodes, edges) or "over budget"
        self._event(algorithm, "refused", why)
        return CircuitOpenError(algorithm, f"graph too large ({why}); {advice}")

    def success(self, algorithm: str, seconds: float) -> None:
        """A run finished; over its time budget it counts as a failure."""
        limit = self.budget(algorithm).max_seconds
        if limit is not None and seconds > limit:
            self.failure(algorithm, f"took {seconds:.2f} s > budget {limit:g} s")
            return
        c = self._circuit(algorithm)
        c.runs += 1
        c.failures = 0
        if c.state == HALF_OPEN:
            self._event(algorithm, "closed", "trial run succeeded")
        c.state = CLOSED

    def failure(self, algorithm: str, error: str) -> None:
        """A run failed (raised, or took too long)."""
        c = self._circuit(algorithm)
        c.runs += 1
        c.failures += 1
        c.last_error = error
        self._event(algorithm, "failure", error)
        if c.state == HALF_OPEN or c.failures >= self.failure_threshold:
            c.state = OPEN
            c.opened_at = self._clock()
            c.trips += 1
            self._event(algorithm, "opened", f"for {self.cooldown:g} s after: {error}")

    def reset(self, algorithm: str | None = None) -> None:
        """Close one circuit (or all) and forget its failures."""
        names = [algorithm] if algorithm is not None else list(self._circuits)
        for name in names:
            self._circuits[name] = _Circuit(trips=self._circuit(name).trips)
            self._event(name, "reset", "closed by hand")

    # -- reporting --------------------------------------------------------------------------

    def state(self) -> pd.DataFrame:
        """One row per algorithm seen or budgeted: state, counters and budget."""
        names = sorted(set(self._circuits) | set(self.budgets))
        rows = []
        for name in names:
            c = self._circuits.get(name, _Circuit())
            left = None
            if c.state == OPEN and c.opened_at is not None:
                left = max(0.0, c.opened_at + self.cooldown - self._clock())
            row = {"algorithm": name, **asdict(c), "cooldown_left": left}
            del row["opened_at"]
            rows.append({**row, **asdict(self.budget(name))})
        columns = ["algorithm", *_Circuit.__dataclass_fields__, "cooldown_left"]
        columns = [c for c in columns if c != "opened_at"] + list(Budget.__dataclass_fields__)
        return pd.DataFrame(rows, columns=columns)

    def events(self) -> pd.DataFrame:
        """Every trip, refusal, over-budget request and state change, oldest first."""
        return pd.DataFrame(self._events, columns=["ts", "algorithm", "event", "detail"])
