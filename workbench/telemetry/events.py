"""Events: what happened, when, how long it took, with numbers and context.

:func:`emit` records an :class:`Event` in a process-wide ring (the newest ``ring_size``
events, 100,000 by default) and, when it names a store, in that store's *pending* queue, from
which the store takes the events it persists in its ``telemetry`` table with the next commit
(:func:`take`; :func:`restore` puts them back when the commit fails). :func:`span` times a
block and emits one event when it ends. Listeners (:func:`subscribe`) see every event as it
is emitted.

Emitting is cheap (a few microseconds: no JSON, no I/O, no pandas), because every layer calls
it: building a module, running a query, looking up the analysis cache. Telemetry can be
switched off for the process (:func:`disable`, or ``WORKBENCH_TELEMETRY=0`` in the
environment) or for a block (:func:`disabled`); :func:`emit` then does nothing.

Examples
--------
>>> event = emit("example", 0.25, measurements={"rows": 3}, metadata={"source": "doc"})
>>> event.name, event.seconds, event.measurements["rows"], event.ts.tzname()
('example', 0.25, 3, 'UTC')
>>> events("example")[-1] == event
True
>>> with span("example", metadata={"key": "demo"}) as s:
...     s.measurements["rows"] = 10
>>> s.event.metadata["outcome"], s.event.seconds >= 0
('ok', True)
>>> with disabled():
...     emit("example") is None
True
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import logging
import operator
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from types import TracebackType
from typing import Any

__all__ = [
    "Event",
    "Span",
    "as_rows",
    "clear",
    "disable",
    "disabled",
    "dropped",
    "emit",
    "enable",
    "enabled",
    "events",
    "pending",
    "restore",
    "set_pending_size",
    "set_ring_size",
    "span",
    "subscribe",
    "take",
]

log = logging.getLogger("workbench.telemetry")

#: Default capacity of the process-wide ring and of each store's pending queue.
RING_SIZE = 100_000
PENDING_SIZE = 100_000

#: The keys of :func:`as_rows`, in order (the columns of a store's ``telemetry`` table).
ROW_KEYS = ("id", "ts", "event", "seconds", "module", "detail", "measurements", "metadata")

_UTC = dt.UTC
_now = dt.datetime.now


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened.

    Attributes
    ----------
    id : str
        Unique across processes: ``<pid hex>-<random 32-bit hex>-<counter>``.
    ts : datetime
        When the event ended (UTC).
    name : str
        The kind of event: ``ingest``, ``migrate``, ``build``, ``query``, ``algorithm``,
        ``cache``, ``breaker``, ``alert``, ``regression``, ...
    seconds : float or None
        Duration, for timed events.
    module : int or None
        Module key, when the event concerns one module.
    store : str or None
        The root directory of the store the event concerns (``os.fspath``); events with a
        store are persisted in its ``telemetry`` table.
    detail : str or None
        Free text: the SQL of a query, an error message.
    measurements : Mapping[str, float]
        Numbers (rows, nodes, edges, bytes, ...).
    metadata : Mapping[str, Any]
        JSON-able context (algorithm, outcome, cache tier, ...).
    """

    id: str
    ts: dt.datetime
    name: str
    seconds: float | None = None
    module: int | None = None
    store: str | None = None
    detail: str | None = None
    measurements: Mapping[str, float] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __hash__(self) -> int:  # the mappings are not hashable; the id is unique
        return hash(self.id)


def _maker() -> Callable[..., Event]:
    """The constructor :func:`emit` uses: it sets the slots directly instead of calling the
    frozen dataclass's ``__init__`` (one ``object.__setattr__`` call per field), which
    halves the cost of an event. Same arguments, same result."""
    new = object.__new__
    s_id, s_ts, s_name, s_seconds, s_module, s_store, s_detail, s_meas, s_meta = (
        Event.__dict__[f.name].__set__ for f in fields(Event)
    )

    def make(
        id: str,
        ts: dt.datetime,
        name: str,
        seconds: float | None,
        module: int | None,
        store: str | None,
        detail: str | None,
        measurements: Mapping[str, float],
        metadata: Mapping[str, Any],
    ) -> Event:
        e = new(Event)
        s_id(e, id)
        s_ts(e, ts)
        s_name(e, name)
        s_seconds(e, seconds)
        s_module(e, module)
        s_store(e, store)
        s_detail(e, detail)
        s_meas(e, measurements)
        s_meta(e, metadata)
        return e

    return make


_make = _maker()


# -- process-wide state ---------------------------------------------------------------------
# The ring is appended to without a lock (deque.append is atomic); the pending queues, the
# drop counts and the listeners change under _lock.

_enabled = os.environ.get("WORKBENCH_TELEMETRY", "1").strip().lower() not in (
    "0",
    "false",
    "off",
    "no",
)
_ring: deque[Event] = deque(maxlen=RING_SIZE)
_pending_size = PENDING_SIZE
_pending: dict[str, deque[Event]] = {}
_dropped: dict[str, int] = {}
_listeners: tuple[Callable[[Event], object], ...] = ()
_lock = threading.Lock()
_prefix = ""
_counter: Iterator[int] = itertools.count()
#: Called by :func:`clear` (the alert and regression state of the other modules).
_clear_hooks: list[Callable[[], None]] = []


def _new_process() -> None:
    """A fresh id prefix and counter; in a forked child also no pending events (the parent
    persists those) and a fresh lock (the parent may have held it while forking)."""
    global _prefix, _counter, _lock, _pending, _dropped
    _prefix = f"{os.getpid():x}-{secrets.randbits(32):08x}-"
    _counter = itertools.count()
    _lock = threading.Lock()
    _pending, _dropped = {}, {}


_new_process()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_process)


# -- switching on and off -------------------------------------------------------------------


def enabled() -> bool:
    """Is telemetry on in this process?"""
    return _enabled


def enable() -> None:
    """Switch telemetry on."""
    global _enabled
    _enabled = True


def disable() -> None:
    """Switch telemetry off: :func:`emit` and :func:`span` record nothing."""
    global _enabled
    _enabled = False


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Switch telemetry off for a block (process-wide), then back to what it was.

    >>> with disabled():
    ...     enabled()
    False
    """
    global _enabled
    before = _enabled
    _enabled = False
    try:
        yield
    finally:
        _enabled = before


# -- emitting -------------------------------------------------------------------------------


def emit(
    name: str,
    seconds: float | None = None,
    *,
    store: str | os.PathLike[str] | None = None,
    module: int | None = None,
    detail: str | None = None,
    measurements: Mapping[str, float] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Event | None:
    """Record an event (ended now) and tell the listeners.

    The event goes to the process-wide ring and, with a ``store``, to that store's pending
    queue (bounded: when it is full the oldest pending event is dropped and counted in
    :func:`dropped`). ``measurements`` and ``metadata`` are copied. A listener that raises is
    logged (logger ``workbench.telemetry``) and otherwise ignored.

    Returns
    -------
    Event or None
        The event; None when telemetry is disabled.

    Examples
    --------
    >>> e = emit("example", 1.5, store="/tmp/store", module=7, detail="SELECT 1")
    >>> e.store, e.module, e.detail, e.measurements
    ('/tmp/store', 7, 'SELECT 1', {})
    >>> take("/tmp/store")[-1] is e
    True
    """
    if not _enabled:
        return None
    root = None if store is None else str(store)
    if module is not None and type(module) is not int:
        try:  # numpy integers too; anything else is refused here, not at persisting
            module = operator.index(module)
        except TypeError:
            raise TypeError(f"emit: module must be an int (a module key), not {module!r}") from None
    if seconds is not None and type(seconds) is not float:
        seconds = float(seconds)
    if detail is not None and type(detail) is not str:
        detail = str(detail)
    event = _make(
        _prefix + str(next(_counter)),
        _now(_UTC),
        name,
        seconds,
        module,
        root,
        detail,
        dict(measurements) if measurements else {},
        dict(metadata) if metadata else {},
    )
    _ring.append(event)
    if root is not None:
        with _lock:
            queue = _pending.get(root)
            if queue is None:
                queue = _pending[root] = deque(maxlen=_pending_size)
            elif len(queue) == queue.maxlen:
                _dropped[root] = _dropped.get(root, 0) + 1
            queue.append(event)
    for listener in _listeners:
        try:
            listener(event)
        except Exception:
            log.exception("telemetry listener %r failed on a %r event", listener, name)
    return event


class Span:
    """A timed block (see :func:`span`): set ``measurements``, ``metadata``, ``detail`` or
    ``module`` inside it; ``event`` is the emitted event after it (None while it runs or when
    telemetry is disabled)."""

    __slots__ = (
        "_start",
        "detail",
        "event",
        "measurements",
        "metadata",
        "module",
        "name",
        "seconds",
        "store",
    )

    def __init__(
        self,
        name: str,
        *,
        store: str | os.PathLike[str] | None = None,
        module: int | None = None,
        detail: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.store = store
        self.module = module
        self.detail = detail
        self.measurements: dict[str, float] = {}
        self.metadata: dict[str, Any] = dict(metadata) if metadata else {}
        self.seconds: float | None = None
        self.event: Event | None = None
        self._start = 0.0

    def __repr__(self) -> str:
        return f"<Span {self.name!r}: {self.seconds} s>"

    def __enter__(self) -> Span:
        self._start = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.seconds = time.perf_counter() - self._start
        if exc_type is None:
            self.metadata.setdefault("outcome", "ok")
        else:
            self.metadata["outcome"] = "error"
            self.metadata["error_type"] = exc_type.__name__
            if self.detail is None and exc is not None:
                self.detail = str(exc) or exc_type.__name__
        self.event = emit(
            self.name,
            self.seconds,
            store=self.store,
            module=self.module,
            detail=self.detail,
            measurements=self.measurements,
            metadata=self.metadata,
        )
        # returning None: an exception propagates


def span(
    name: str,
    *,
    store: str | os.PathLike[str] | None = None,
    module: int | None = None,
    detail: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Span:
    """Time a block with :func:`time.perf_counter` and emit one event when it ends.

    On success the event's metadata has ``outcome="ok"`` unless the block set another
    outcome. When the block raises, the metadata gets ``outcome="error"`` and
    ``error_type`` (the exception's class name), the detail (if still None) the error
    message, and the exception propagates.

    Examples
    --------
    >>> try:
    ...     with span("example", metadata={"key": "failing"}) as s:
    ...         raise KeyError("no such table")
    ... except KeyError:
    ...     pass
    >>> s.event.metadata["outcome"], s.event.metadata["error_type"], s.event.detail
    ('error', 'KeyError', "'no such table'")
    """
    return Span(name, store=store, module=module, detail=detail, metadata=metadata)


# -- listeners ------------------------------------------------------------------------------


def subscribe(callback: Callable[[Event], object]) -> Callable[[], None]:
    """Call ``callback(event)`` for every event emitted from now on (in the emitting thread;
    keep it quick). Returns the function that unsubscribes it (calling it twice is fine).

    >>> seen = []
    >>> unsubscribe = subscribe(seen.append)
    >>> _ = emit("example")
    >>> unsubscribe()
    >>> _ = emit("example")
    >>> len(seen)
    1
    """
    global _listeners
    with _lock:
        _listeners = (*_listeners, callback)

    def unsubscribe() -> None:
        global _listeners
        with _lock:
            if callback in _listeners:
                i = _listeners.index(callback)
                _listeners = _listeners[:i] + _listeners[i + 1 :]

    return unsubscribe


# -- reading the ring -----------------------------------------------------------------------


def _names(name: str | Collection[str] | None) -> Collection[str] | None:
    return (name,) if isinstance(name, str) else (None if name is None else set(name))


def events(
    name: str | Collection[str] | None = None,
    store: str | os.PathLike[str] | None = None,
) -> list[Event]:
    """The events in the ring, oldest first: all, or those of a kind (``name``: one or a
    collection) and/or of a store root.

    >>> _ = emit("example", store="/tmp/events-doc")
    >>> [e.name for e in events(store="/tmp/events-doc")]
    ['example']
    >>> _ = take("/tmp/events-doc")
    """
    names = _names(name)
    root = None if store is None else str(store)
    return [
        e
        for e in list(_ring)
        if (names is None or e.name in names) and (root is None or e.store == root)
    ]


def set_ring_size(n: int) -> None:
    """Keep the newest ``n`` events in the ring (default 100,000)."""
    global _ring
    if n < 1:
        raise ValueError(f"ring size must be >= 1, not {n}")
    _ring = deque(_ring, maxlen=n)


def set_pending_size(n: int) -> None:
    """Keep at most ``n`` pending events per store (default 100,000); applies to every
    queue, the fuller ones dropping their oldest events (counted in :func:`dropped`)."""
    global _pending_size
    if n < 1:
        raise ValueError(f"pending size must be >= 1, not {n}")
    with _lock:
        _pending_size = n
        for root, queue in list(_pending.items()):
            _pending[root] = _bounded(root, queue)


def clear() -> None:
    """Forget every event (ring and pending queues), the drop counts, the open alerts and
    the regressions already reported. Listeners stay subscribed."""
    with _lock:
        _ring.clear()
        _pending.clear()
        _dropped.clear()
    for hook in _clear_hooks:
        hook()


# -- persistence hooks (the store layer) ----------------------------------------------------


def _bounded(root: str, items: Iterable[Event]) -> deque[Event]:
    """A pending queue of ``items``, the oldest dropped (and counted) when too many."""
    items = list(items)
    over = len(items) - _pending_size
    if over > 0:
        _dropped[root] = _dropped.get(root, 0) + over
    return deque(items, maxlen=_pending_size)


def take(store: str | os.PathLike[str]) -> list[Event]:
    """Remove and return the pending events of a store root, in emit order (the store
    persists them with its next commit).

    >>> a, b = emit("example", store="/tmp/take-doc"), emit("example", store="/tmp/take-doc")
    >>> take("/tmp/take-doc") == [a, b], take("/tmp/take-doc")
    (True, [])
    """
    with _lock:
        queue = _pending.pop(str(store), None)
    return list(queue) if queue else []


def restore(events: Iterable[Event]) -> None:
    """Put events taken with :func:`take` back at the front of their stores' pending queues
    (the commit that was to persist them failed). Events without a store, and events still
    pending, are ignored; when a queue overflows, its oldest events are dropped and counted.

    >>> a = emit("example", store="/tmp/restore-doc")
    >>> taken = take("/tmp/restore-doc")
    >>> b = emit("example", store="/tmp/restore-doc")
    >>> restore(taken)
    >>> take("/tmp/restore-doc") == [a, b]
    True
    """
    by_root: dict[str, list[Event]] = {}
    for e in events:
        if e.store is not None:
            by_root.setdefault(e.store, []).append(e)
    with _lock:
        for root, front in by_root.items():
            queue = _pending.get(root, ())
            waiting = {e.id for e in queue}
            front = [e for e in front if e.id not in waiting]
            _pending[root] = _bounded(root, front + list(queue))


def pending() -> dict[str, int]:
    """Store root -> number of events waiting to be persisted."""
    with _lock:
        return {root: len(q) for root, q in _pending.items() if q}


def dropped(store: str | os.PathLike[str] | None = None) -> int:
    """Events dropped from full pending queues (never persisted): of one store root, or all."""
    with _lock:
        if store is None:
            return sum(_dropped.values())
        return _dropped.get(str(store), 0)


def as_rows(events: Iterable[Event]) -> list[dict[str, Any]]:
    """Rows of a store's ``telemetry`` table: keys ``id, ts, event, seconds, module, detail,
    measurements, metadata``, the last two JSON strings (sorted keys; values JSON cannot
    hold are written with ``str``).

    >>> e = emit("example", 0.5, measurements={"rows": 2}, metadata={"b": 1, "a": None})
    >>> row = as_rows([e])[0]
    >>> list(row) == list(ROW_KEYS), row["measurements"], row["metadata"]
    (True, '{"rows": 2}', '{"a": null, "b": 1}')
    """
    dumps = json.dumps
    return [
        {
            "id": e.id,
            "ts": e.ts,
            "event": e.name,
            "seconds": e.seconds,
            "module": e.module,
            "detail": e.detail,
            "measurements": dumps(dict(e.measurements), sort_keys=True, default=str),
            "metadata": dumps(dict(e.metadata), sort_keys=True, default=str),
        }
        for e in events
    ]
