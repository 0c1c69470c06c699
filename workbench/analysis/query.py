"""The query layer: a Python builder over the store's tables and CPG metrics, and the
compatibility layer that answers from the AST-level tables where a module has no CPG.

A :class:`Query` is data: a relation, the columns to select, conditions, groups, an order and
a limit, each step returning a new query (``to_dict`` / ``from_dict`` and JSON round trip it,
so notebooks and widgets can store and replay one). It compiles to **one parameterised
DuckDB statement** (:meth:`Query.sql`, :meth:`Query.params`): column names are checked
against the relation's columns, operators against a fixed list, and every value is bound as
a parameter, never spliced into the text.

Relations (:data:`RELATIONS`, :func:`relations` describes their columns):

- ``functions`` and ``modules``, the AST-level tables (schema v1), whose columns can be
  joined with **CPG metrics**: complexity (McCabe), cyclomatic number, fan-out, unreachable
  nodes, call-graph centralities (PageRank, betweenness, closeness), fan-in, community
  (Louvain), the downstream **impact** count (how many functions a change can affect:
  transitive callers), smells, and the percentile of any numeric column
  (``where("pagerank", ">=", Percentile(90))``). A metric the store does not hold is
  computed on demand by :class:`~workbench.analysis.cpgmath.CPGMath` (cached in
  ``analysis_cache``);
- the CPG tables ``cpg_nodes``, ``cpg_edges``, ``cpg_methods``;
- derived relations: ``communities`` (Louvain over the call graph) and ``critical_paths``
  (each function's longest chain of calls).

:func:`execute_with_fallback` answers where the CPG cannot: with CPG support off, for
modules without a CPG (pending, failed, skipped) and when a CPG query fails, metric columns
come from the AST-level tables (complexity = decision points + 1, fan-out = distinct callees
as written, ...; metrics only a CPG has are null), each row marked ``source = 'cpg' | 'ast'``,
with a :class:`FallbackWarning` and a ``fallback`` telemetry event: never silently.

Examples
--------
>>> q = (Query.from_("functions").select("qualname", "complexity")
...      .where("complexity", ">", 10).order_by("-complexity").limit(5))
>>> q.to_dict() == Query.from_dict(q.to_dict()).to_dict()
True
>>> print(q.sql().splitlines()[1].replace(" ORDER", "\\nORDER"))  # after the WITH clause
SELECT "qualname", "complexity" FROM r WHERE "complexity" > ?
ORDER BY "complexity" DESC, "qualname" ASC, "module" ASC, "line" ASC LIMIT ?
>>> q.params()
[10, 5]
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from workbench import telemetry
from workbench.cpg.schema import FUNCTIONS, MODULES_V1, TABLES, CpgStatus
from workbench.errors import FeatureDisabledError, QueryError, WorkbenchError

if TYPE_CHECKING:
    from workbench.analysis.cpgmath import CPGMath
    from workbench.store import Store

__all__ = [
    "RELATIONS",
    "FallbackWarning",
    "Percentile",
    "Query",
    "QueryResult",
    "execute",
    "execute_with_fallback",
    "relations",
    "sql",
]


class FallbackWarning(UserWarning):
    """Part of an answer came from the AST-level tables instead of the CPG."""


@dataclass(frozen=True)
class Percentile:
    """The value of a column at a percentile (0-100) over the whole relation, as a condition's
    value: ``where("pagerank", ">=", Percentile(90))`` keeps the top tenth."""

    q: float

    def __post_init__(self) -> None:
        if not isinstance(self.q, int | float) or not 0 <= self.q <= 100:
            raise QueryError("query", f"a percentile is a number from 0 to 100, not {self.q!r}")


# -- relations and their columns -----------------------------------------------------------


def _q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Column:
    """A column of a relation: its SQL over the CPG and over the AST-level tables (None: the
    AST has no such value), the joins it needs, and the computed metric it reads, if any."""

    cpg: str
    ast: str | None = None
    joins: tuple[str, ...] = ()
    metric: str | None = None
    doc: str = ""
    v2: bool = False  # a column schema v2 adds to a legacy table (null on a v1 store)

    @property
    def needs_cpg(self) -> bool:
        return self.ast != self.cpg or self.v2


@dataclass(frozen=True)
class Relation:
    """A relation a query reads: its FROM clause, its columns and the ones ``SELECT *``
    gives (the legacy columns for a legacy table: v1 queries answer the same after the
    migration), and whether it exists only with a CPG."""

    name: str
    doc: str
    base: str
    columns: Mapping[str, Column]
    default: tuple[str, ...]
    cpg_only: bool = False
    joins: Mapping[str, str] = field(default_factory=dict)
    presence: str | None = None  # SQL true when a row has its CPG (mixed answers)
    presence_joins: tuple[str, ...] = ()  # the joins ``presence`` reads
    key: tuple[str, ...] = ("module", "id")  # what orders rows that tie on everything else


_FULL_NAME = "m.name || '.' || f.qualname"
_FN_JOINS = {
    "m": "JOIN modules AS m ON m.module = f.module",
    "cm": (
        "LEFT JOIN cpg_methods AS cm ON cm.module = f.module "
        f"AND cm.full_name = {_FULL_NAME} AND cm.line = f.line"
    ),
    "g": (
        "LEFT JOIN wb_metrics AS g ON g.module = f.module "
        f"AND g.full_name = {_FULL_NAME} AND g.line = f.line"
    ),
}
#: Smells: (name, condition over other columns of ``functions``) -- thresholds of the usual
#: code-quality tools (McCabe 10, 50 statements, nesting 4, 5 parameters, fan-out 15).
SMELLS = (
    ("complex", "complexity > 10"),
    ("long_method", "statements > 50"),
    ("deep_nesting", "nesting > 4"),
    ("long_parameter_list", "len(parameters) > 5"),
    ("high_fan_out", "fan_out > 15"),
)
#: Computed metrics: column -> (CPGMath algorithm, its parameters, the result column).
METRICS: dict[str, tuple[str, dict, str]] = {
    "pagerank": ("pagerank", {}, "pagerank"),
    "betweenness": ("betweenness", {}, "betweenness"),
    "closeness": ("closeness", {}, "closeness"),
    "fan_in": ("degree", {}, "in_degree"),
    "community": ("louvain", {"seed": 0}, "community"),
    "impact": ("reach", {"direction": "in"}, "reach"),
    "reach": ("reach", {"direction": "out"}, "reach"),
}
_METRIC_DOCS = {
    "pagerank": "PageRank in the project call graph",
    "betweenness": "Betweenness centrality in the project call graph",
    "closeness": "Closeness centrality in the project call graph",
    "fan_in": "Call sites calling it (in-degree in the call graph, weighted by sites)",
    "community": "Louvain community of the call graph (seed 0)",
    "impact": "Functions that call it, directly or not: what a change to it can affect",
    "reach": "Functions it calls, directly or not",
}


def _functions() -> Relation:
    cols: dict[str, Column] = {
        f.name: Column(f"f.{_q(f.name)}", f"f.{_q(f.name)}", doc=f.metadata[b"doc"].decode())
        for f in FUNCTIONS
    }
    cols.update(
        module_name=Column("m.name", "m.name", ("m",), doc="Dotted module name"),
        path=Column("m.path", "m.path", ("m",), doc="Module path"),
        full_name=Column(_FULL_NAME, _FULL_NAME, ("m",), doc="module.qualname"),
        complexity=Column(
            "cm.mccabe", "f.decision_points + 1", ("m", "cm"), doc="McCabe complexity"
        ),
        cyclomatic=Column(
            "cm.cyclomatic", "f.decision_points + 1", ("m", "cm"), doc="E - N + 2 of the CFG"
        ),
        fan_out=Column(
            "cm.fan_out", "len(f.calls)", ("m", "cm"), doc="Distinct callees (full names)"
        ),
        cfg_nodes=Column("cm.cfg_nodes", None, ("m", "cm"), doc="CFG nodes"),
        unreachable=Column("cm.unreachable", None, ("m", "cm"), doc="Unreachable CFG nodes"),
        is_generator=Column("cm.is_generator", None, ("m", "cm"), doc="Has yield"),
        is_async=Column("cm.is_async", None, ("m", "cm"), doc="async def"),
    )
    for name in METRICS:
        cols[name] = Column(f"g.{name}", None, ("m", "g"), metric=name, doc=_METRIC_DOCS[name])
    return Relation(
        "functions",
        "Functions (AST level) with their CPG metrics",
        "functions AS f",
        cols,
        tuple(f.name for f in FUNCTIONS),
        joins=_FN_JOINS,
        presence="cm.module IS NOT NULL",
        presence_joins=("m", "cm"),
        key=("module", "qualname", "line"),
    )


def _modules() -> Relation:
    cols = {
        f.name: Column(f"m.{_q(f.name)}", f"m.{_q(f.name)}", doc=f.metadata[b"doc"].decode())
        for f in MODULES_V1
    }
    for f in TABLES["modules"]:
        if f.name not in cols:
            col = f"m.{_q(f.name)}"
            cols[f.name] = Column(col, col, doc=f.metadata[b"doc"].decode(), v2=True)
    fn = "(SELECT count(*) FROM functions AS f WHERE f.module = m.module)"
    cols["functions"] = Column(fn, fn, doc="Functions in the module")
    return Relation(
        "modules",
        "Modules (AST level) with their CPG status",
        "modules AS m",
        cols,
        tuple(f.name for f in MODULES_V1),
        presence="m.cpg_status = 'ok'",
        key=("module",),
    )


def _table(name: str, doc: str, key: tuple[str, ...] = ("module", "id")) -> Relation:
    cols = {
        f.name: Column(f"t.{_q(f.name)}", doc=f.metadata[b"doc"].decode()) for f in TABLES[name]
    }
    return Relation(name, doc, f"{name} AS t", cols, tuple(cols), cpg_only=True, key=key)


def _derived(name: str, doc: str, columns: dict[str, str]) -> Relation:
    cols = {c: Column(f"t.{_q(c)}", doc=d) for c, d in columns.items()}
    return Relation(name, doc, f"wb_{name} AS t", cols, tuple(cols), cpg_only=True)


_NAMED = {
    "module": "Module key",
    "id": "METHOD node id",
    "full_name": "Function's full name",
    "line": "First line",
}
RELATIONS: dict[str, Relation] = {
    r.name: r
    for r in (
        _functions(),
        _modules(),
        _table("cpg_nodes", "CPG nodes"),
        _table("cpg_edges", "CPG edges", ("module", "src", "dst", "kind", "label", "dst_module")),
        _table("cpg_methods", "CPG methods with their metrics"),
        _derived(
            "communities",
            "Louvain communities of the call graph (seed 0)",
            {
                **_NAMED,
                "community": "Community number",
                "community_size": "Functions in the community",
            },
        ),
        _derived(
            "critical_paths",
            "Each function's longest chain of calls in the project (cycles contracted)",
            {
                **_NAMED,
                "depth": "Calls in the longest chain starting here",
                "chain": "Full names along that chain",
            },
        ),
    )
}


def relations() -> pd.DataFrame:
    """Every relation and column a query can name: ``relation, column, cpg_only, ast, doc``
    (``ast``: the column has an AST-level answer for the fallback).

    >>> df = relations()
    >>> sorted(df[df.relation == "functions"].column)[:4]
    ['betweenness', 'calls', 'cfg_nodes', 'closeness']
    """
    rows = [
        {
            "relation": r.name,
            "column": name,
            "cpg_only": r.cpg_only or c.ast is None,
            "ast": c.ast is not None and not r.cpg_only,
            "doc": c.doc,
        }
        for r in RELATIONS.values()
        for name, c in r.columns.items()
    ]
    rows += [
        {"relation": "functions", "column": "smells", "cpg_only": False, "ast": True,
         "doc": "Smells: " + ", ".join(f"{n} ({c})" for n, c in SMELLS)},
        {"relation": "functions", "column": "smell_count", "cpg_only": False, "ast": True,
         "doc": "Number of smells"},
    ]  # fmt: skip
    return pd.DataFrame(rows).sort_values(["relation", "column"], ignore_index=True)


# -- the builder -------------------------------------------------------------------------------

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_AGG = re.compile(
    r"^\s*(count|sum|avg|min|max|median|count_distinct)\s*\(\s*(\*|[A-Za-z_]\w*)\s*\)"
    r"(?:\s+as\s+([A-Za-z_]\w*))?\s*$",
    re.IGNORECASE,
)
_OPS = {
    "=": "=",
    "==": "=",
    "!=": "<>",
    "<>": "<>",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
    "in": "IN",
    "not in": "NOT IN",
    "like": "LIKE",
    "ilike": "ILIKE",
    "is null": "IS NULL",
    "is not null": "IS NOT NULL",
    "between": "BETWEEN",
    "contains": "contains",
}
_NO_VALUE = {"is null", "is not null"}
_DERIVED = ("smells", "smell_count")


@dataclass(frozen=True)
class Query:
    """A query over one relation; every method returns a new query.

    Parameters mirror SQL: :meth:`from_` (the relation), :meth:`select` (columns, or
    aggregates ``count(*)``, ``avg(complexity) as c``...), :meth:`where` (conditions, all of
    which must hold), :meth:`group_by`, :meth:`order_by` (``-column`` for descending) and
    :meth:`limit`.
    """

    relation: str | None = None
    columns: tuple[str, ...] = ()
    conditions: tuple[tuple[str, str, Any], ...] = ()
    groups: tuple[str, ...] = ()
    orders: tuple[tuple[str, bool], ...] = ()
    limit_: int | None = None

    # -- building --------------------------------------------------------------------------

    @classmethod
    def from_(cls, relation: str) -> Query:
        """A query over ``relation`` (see :data:`RELATIONS`)."""
        return cls().from_relation(relation)

    def from_relation(self, relation: str) -> Query:
        if relation not in RELATIONS:
            raise QueryError(
                "query", f"unknown relation {relation!r}; choose from {sorted(RELATIONS)}"
            )
        return replace(self, relation=relation)

    def select(self, *columns: str) -> Query:
        """Columns or aggregates to return (none: the relation's default columns)."""
        for c in columns:
            if not isinstance(c, str):
                raise QueryError("query", f"select takes column names, not {c!r}")
        return replace(self, columns=self.columns + tuple(columns))

    def where(self, column: str | None = None, op: str = "=", value: Any = None, **equal) -> Query:
        """Add conditions: ``where("complexity", ">", 10)``, ``where("name", "in", [...])``,
        ``where("pagerank", ">=", Percentile(90))``, ``where(parse_status="ok")``.

        Operators: ``= != < <= > >= in, not in, like, ilike, is null, is not null, between``
        (value: a pair) and ``contains`` (a list column holds the value)."""
        conds = list(self.conditions)
        if column is not None:
            conds.append(_condition(column, op, value))
        for name, v in sorted(equal.items()):
            conds.append(_condition(name, "=", v))
        return replace(self, conditions=tuple(conds))

    def group_by(self, *columns: str) -> Query:
        return replace(self, groups=self.groups + tuple(columns))

    def order_by(self, *columns: str, descending: bool = False) -> Query:
        """Order by columns; ``-name`` (or ``descending=True``) for descending order. Ties
        are broken by every selected column, so answers are deterministic."""
        orders = [
            (c[1:], True) if c.startswith("-") else (c, descending)
            for c in columns
            if isinstance(c, str)
        ]
        return replace(self, orders=self.orders + tuple(orders))

    def limit(self, n: int) -> Query:
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise QueryError("query", f"limit takes a non-negative int, not {n!r}")
        return replace(self, limit_=n)

    # -- as data ---------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """The query as plain data (JSON-able)."""
        return {
            "from": self.relation,
            "select": list(self.columns),
            "where": [[c, op, _encode(v)] for c, op, v in self.conditions],
            "group_by": list(self.groups),
            "order_by": [[c, "desc" if d else "asc"] for c, d in self.orders],
            "limit": self.limit_,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> Query:
        """The query :meth:`to_dict` gave (checked as the builder checks)."""
        if not isinstance(data, Mapping):
            raise QueryError("query", f"a query is a mapping, not {type(data).__name__}")
        unknown = set(data) - {"from", "select", "where", "group_by", "order_by", "limit"}
        if unknown:
            raise QueryError("query", f"unknown query keys {sorted(unknown)}")
        if data.get("from") is None:
            raise QueryError("query", "a query needs 'from' (a relation)")
        q = cls.from_(data["from"]).select(*data.get("select", ()))
        for cond in data.get("where", ()):
            if not isinstance(cond, list | tuple) or len(cond) != 3:
                raise QueryError("query", f"a condition is [column, op, value], not {cond!r}")
            q = q.where(cond[0], cond[1], _decode(cond[2]))
        q = q.group_by(*data.get("group_by", ()))
        for col, direction in data.get("order_by", ()):
            if direction not in ("asc", "desc"):
                raise QueryError("query", f"order direction is 'asc' or 'desc', not {direction!r}")
            q = q.order_by(col, descending=direction == "desc")
        if data.get("limit") is not None:
            q = q.limit(data["limit"])
        return q

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Query:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise QueryError("query", f"not a query in JSON: {e}") from None
        return cls.from_dict(data)

    def key(self) -> str:
        """A short stable hash of the query (its telemetry key)."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    # -- compiling ---------------------------------------------------------------------------

    def compile(self, mode: str = "cpg", *, legacy: bool = False) -> Compiled:
        """The SQL statement and parameters.

        ``mode``: ``cpg`` (metric columns from the CPG; null where a module has none),
        ``ast`` (from the AST-level tables; a ``source`` column says ``ast``) or ``mixed``
        (from the CPG where a row has one, else the AST; ``source`` says which).
        ``legacy``: for a store of schema v1 (the columns v2 adds to ``modules`` are null).
        """
        return _compile(self, mode, legacy)

    def sql(self, mode: str = "cpg") -> str:
        """The SQL statement this query runs (values are ``?`` parameters: :meth:`params`)."""
        return self.compile(mode).sql

    def params(self, mode: str = "cpg") -> list:
        return self.compile(mode).params

    def execute(self, store: Store, *, math: CPGMath | None = None) -> QueryResult:
        """Run on a store (see :func:`execute`)."""
        return execute(self, store, math=math)

    def execute_with_fallback(self, store: Store, *, math: CPGMath | None = None) -> QueryResult:
        """Run on a store, answering from the AST where the CPG cannot (see
        :func:`execute_with_fallback`)."""
        return execute_with_fallback(self, store, math=math)

    def __repr__(self) -> str:
        return f"Query({self.to_dict()})"


def _condition(column: Any, op: Any, value: Any) -> tuple[str, str, Any]:
    if not isinstance(column, str) or not _IDENT.match(column):
        raise QueryError("query", f"a condition names a column, not {column!r}")
    if not isinstance(op, str) or op.lower() not in _OPS:
        raise QueryError("query", f"unknown operator {op!r}; choose from {sorted(_OPS)}")
    op = op.lower()
    if op in ("in", "not in"):
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise QueryError("query", f"{op!r} takes a list of values, not {value!r}")
        value = tuple(_plain(v) for v in value)
    elif op == "between":
        if isinstance(value, str) or not isinstance(value, Iterable) or len(list(value)) != 2:
            raise QueryError("query", f"'between' takes a pair of values, not {value!r}")
        value = tuple(_plain(v) for v in value)
    else:
        value = _plain(value)
    if op in ("in", "not in", "between") and any(isinstance(v, Percentile) for v in value):
        raise QueryError("query", f"a percentile compares with < <= > >= = !=, not {op!r}")
    elif op in _NO_VALUE:
        value = None
    elif isinstance(value, Percentile) and op not in ("<", "<=", ">", ">=", "=", "!=", "<>"):
        raise QueryError("query", f"a percentile compares with < <= > >= = !=, not {op!r}")
    return column, op, value


def _output_name(column: str) -> str:
    """The name of a selected column in the answer: an aggregate's alias, else
    ``<function>_<column>`` (``count`` for ``count(*)``).

    >>> _output_name("avg(complexity)"), _output_name("count(*) as n"), _output_name("line")
    ('avg_complexity', 'n', 'line')
    """
    agg = _AGG.match(column)
    if not agg:
        return column
    fn, arg, alias = agg.group(1).lower(), agg.group(2), agg.group(3)
    return alias or (f"{fn}_{arg}" if arg != "*" else fn)


def _plain(v: Any) -> Any:
    """A numpy or pandas scalar as the Python value it holds (a module key from a DataFrame
    is a numpy.int64); other values as they are."""
    item = getattr(v, "item", None)
    if item is not None and getattr(v, "shape", None) == () and not isinstance(v, str | bytes):
        return item()
    return v


def _encode(v: Any) -> Any:
    if isinstance(v, Percentile):
        return {"percentile": v.q}
    if isinstance(v, tuple):
        return [_encode(x) for x in v]
    return v


def _decode(v: Any) -> Any:
    if isinstance(v, Mapping):
        if set(v) != {"percentile"}:
            raise QueryError("query", f"a value object is {{'percentile': q}}, not {v!r}")
        return Percentile(v["percentile"])
    if isinstance(v, list):
        return [_decode(x) for x in v]
    return v


@dataclass(frozen=True)
class Compiled:
    """A compiled query: the statement, its parameters, the computed metrics it reads and
    whether it reads CPG columns."""

    sql: str
    params: list
    metrics: frozenset[str]
    derived: str | None
    reads_cpg: bool
    mode: str


def _compile(q: Query, mode: str, legacy: bool = False) -> Compiled:
    if mode not in ("cpg", "ast", "mixed"):
        raise QueryError("query", f"mode is 'cpg', 'ast' or 'mixed', not {mode!r}")
    if q.relation is None:
        raise QueryError("query", "the query has no relation: start with Query.from_(...)")
    rel = RELATIONS[q.relation]
    known = set(rel.columns) | (set(_DERIVED) if rel.name == "functions" else set())

    def check(name: str, where: str) -> str:
        if name not in known:
            raise QueryError(
                "query",
                f"{where}: relation {rel.name!r} has no column {name!r}; "
                f"its columns: {', '.join(sorted(known))}",
            )
        return name

    # what the outer statement selects: plain columns and aggregates
    outer: list[tuple[str, str]] = []  # (SQL, output name)
    used: set[str] = set()
    aggregated = False
    for c in q.columns or (() if q.groups else rel.default):
        agg = _AGG.match(c)
        if agg:
            fn, arg, alias = agg.group(1).lower(), agg.group(2), agg.group(3)
            if (alias or "").lower() == "source":
                raise QueryError("query", "'source' is the fallback's column: choose another alias")
            aggregated = True
            if arg != "*":
                used.add(check(arg, "select"))
            inner = "*" if arg == "*" else _q(arg)
            expr = f"count(DISTINCT {inner})" if fn == "count_distinct" else f"{fn}({inner})"
            outer.append((expr, _output_name(c)))
        else:
            used.add(check(c, "select"))
            outer.append((_q(c), c))
    if q.groups and not q.columns:
        outer = [(_q(g), g) for g in q.groups]
    for g in q.groups:
        used.add(check(g, "group_by"))
    for c, _ in q.orders:
        if c not in {name for _, name in outer}:
            used.add(check(c, "order_by"))
    for c, _, _ in q.conditions:
        used.add(check(c, "where"))
    if "smells" in used or "smell_count" in used:
        used |= {"complexity", "statements", "nesting", "parameters", "fan_out"}
    used -= set(_DERIVED)
    if not (aggregated or q.groups):
        used |= set(rel.key)  # rows that tie on everything asked for are ordered by them

    cpg_cols = {c for c in used if rel.columns[c].needs_cpg}
    reads_cpg = rel.cpg_only or bool(cpg_cols)
    if rel.cpg_only and mode != "cpg":
        mode = "cpg"  # no AST-level answer: the fallback restricts rows instead
    joins: list[str] = []
    for c in sorted(used):
        for j in rel.columns[c].joins:
            if j not in joins:
                joins.append(j)
    if mode == "mixed" and reads_cpg:
        joins += [j for j in rel.presence_joins if j not in joins]
    if mode == "ast":
        joins = [j for j in joins if j == "m"]
    order = list(rel.joins)
    joins.sort(key=order.index)

    def expr(name: str) -> str:
        col = rel.columns[name]
        if col.v2 and legacy:
            return "NULL"
        if mode == "cpg" or not col.needs_cpg:
            return col.cpg
        ast = col.ast if col.ast is not None else "NULL"
        if mode == "ast":
            return ast
        return f"CASE WHEN {rel.presence} THEN {col.cpg} ELSE {ast} END"

    inner = [f"{expr(c)} AS {_q(c)}" for c in sorted(used)]
    source = None
    if mode == "ast":
        source = "'ast'"
    elif mode == "mixed" and reads_cpg and rel.presence:
        source = f"CASE WHEN {rel.presence} THEN 'cpg' ELSE 'ast' END"
    if source is not None:
        inner.append(f"{source} AS source")
    base = f"SELECT {', '.join(inner) or '1 AS one'} FROM {rel.base}"
    if joins:
        base += " " + " ".join(rel.joins[j] for j in joins)
    ctes = [f"r AS ({base})"]
    mentioned = (
        {n for _, n in outer}
        | {c for c, _, _ in q.conditions}
        | {c for c, _ in q.orders}
        | set(q.groups)
    )
    if mentioned & set(_DERIVED):
        parts = ", ".join(f"CASE WHEN {cond} THEN '{n}' END" for n, cond in SMELLS)
        found = f"[x FOR x IN [{parts}] IF x IS NOT NULL]"
        ctes.append(f"s AS (SELECT *, {found} AS smells, len({found}) AS smell_count FROM r)")
    frm = "s" if len(ctes) > 1 else "r"

    params: list = []
    where: list[str] = []
    for c, op, v in q.conditions:
        col = _q(c)
        sql_op = _OPS[op]
        if op in _NO_VALUE:
            where.append(f"{col} {sql_op}")
        elif op in ("in", "not in"):
            if not v:
                where.append("FALSE" if op == "in" else "TRUE")
                continue
            where.append(f"{col} {sql_op} ({', '.join('?' * len(v))})")
            params += list(v)
        elif op == "between":
            where.append(f"{col} BETWEEN ? AND ?")
            params += list(v)
        elif op == "contains":
            where.append(f"list_contains({col}, ?)")
            params.append(v)
        elif isinstance(v, Percentile):
            where.append(f"{col} {sql_op} (SELECT quantile_cont({col}, ?) FROM {frm})")
            params.append(v.q / 100)
        else:
            where.append(f"{col} {sql_op} ?")
            params.append(v)
    select = [e if e == _q(n) else f"{e} AS {_q(n)}" for e, n in outer]
    if source is not None and "source" not in {n for _, n in outer}:
        if aggregated or q.groups:
            select.append(
                "CASE WHEN bool_and(source = 'cpg') THEN 'cpg' WHEN bool_and(source = 'ast') "
                "THEN 'ast' ELSE 'mixed' END AS source"
            )
        else:
            select.append("source")
    sql = f"WITH {', '.join(ctes)}\nSELECT {', '.join(select)} FROM {frm}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    if q.groups:
        sql += " GROUP BY " + ", ".join(_q(g) for g in q.groups)
    # deterministic answers: the order asked for, then every selected column, the source
    # and the relation's key (groups: the group columns)
    order = [f"{_q(c)} {'DESC' if d else 'ASC'}" for c, d in q.orders]
    seen = {c for c, _ in q.orders}
    ties = (
        list(q.groups)
        if aggregated or q.groups
        else [n for _, n in outer] + (["source"] if source is not None else []) + list(rel.key)
    )
    for n in ties:
        if n not in seen:
            order.append(f"{_q(n)} ASC")
            seen.add(n)
    if order:
        sql += " ORDER BY " + ", ".join(order)
    if q.limit_ is not None:
        sql += " LIMIT ?"
        params.append(q.limit_)
    metrics = frozenset(c for c in used if rel.columns[c].metric and mode != "ast")
    derived = rel.name if rel.base.startswith("wb_") else None
    return Compiled(sql, params, metrics, derived, reads_cpg, mode)


# -- executing ---------------------------------------------------------------------------------


@dataclass
class QueryResult:
    """An answer: the rows (:attr:`df`) and how they were found."""

    df: pd.DataFrame
    query: Query
    sql: str
    params: list
    mode: str
    ms: float
    cache_hits: int = 0
    cache_lookups: int = 0
    cpg_modules: list[int] = field(default_factory=list)
    ast_modules: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.df)

    @property
    def meta(self) -> dict:
        """The metadata as plain data."""
        return {
            "rows": self.rows,
            "ms": round(self.ms, 3),
            "mode": self.mode,
            "cache_hits": self.cache_hits,
            "cache_lookups": self.cache_lookups,
            "cpg_modules": len(self.cpg_modules),
            "ast_modules": len(self.ast_modules),
            "warnings": list(self.warnings),
        }

    def _repr_html_(self) -> str:
        return self.df._repr_html_()

    def __repr__(self) -> str:
        return f"<QueryResult {self.meta}>\n{self.df!r}"


#: The attribute of a Store object that holds the CPGMath its queries use (one per object,
#: so repeated queries hit its memory cache; it goes with the object: a cycle the garbage
#: collector frees, where a module-level map would keep every store alive).
_MATH_ATTR = "_query_math"


def _math_for(store: Store, math: CPGMath | None) -> CPGMath:
    if math is not None:
        return math
    m = getattr(store, _MATH_ATTR, None)
    if m is None:
        from workbench.analysis.cpgmath import CPGMath

        m = CPGMath(store)
        setattr(store, _MATH_ATTR, m)
    return m


def _cpg_on(store: Store) -> bool:
    return store.schema_version >= 2 and bool(store.flags.get("cpg"))


def _metric_table(math: CPGMath, metrics: Iterable[str]) -> tuple[pa.Table, int, int]:
    """``module, full_name, line`` and each metric, for every project function of the call
    graph; with the cache hits and lookups of the runs."""
    base = None
    hits = lookups = 0
    for name in sorted(metrics):
        algorithm, params, column = METRICS[name]
        df = math.run(algorithm, "call", **params)
        lookups += 1
        hits += df.attrs.get("cache") in ("memory", "store")
        part = df[["module", "full_name", "line", column]].rename(columns={column: name})
        base = part if base is None else base.merge(part, on=["module", "full_name", "line"])
    assert base is not None
    base = base.dropna(subset=["module"]).drop_duplicates(["module", "full_name", "line"])
    return pa.Table.from_pandas(base, preserve_index=False), hits, lookups


def _derived_table(math: CPGMath, name: str) -> tuple[pa.Table, int, int]:
    if name == "communities":
        df = math.run("louvain", "call", seed=0)
        hit = int(df.attrs.get("cache") in ("memory", "store"))
        df = df[["module", "id", "full_name", "line", "community"]].copy()
        df["community_size"] = df.groupby("community")["community"].transform("size")
        return pa.Table.from_pandas(df, preserve_index=False), hit, 1
    cond = math.run("condensation", "call")
    hit = int(cond.attrs.get("cache") in ("memory", "store"))
    return _critical_paths(math, cond), hit, 1


def _critical_paths(math: CPGMath, cond: pd.DataFrame) -> pa.Table:
    """Longest chains of calls: over the condensation (a cycle counts as one step), the
    longest path from each component, ties broken by the smaller component number."""
    graph = math.graph("call")
    nodes = graph.nodes.to_pandas()
    succ = dict(zip(cond.component, cond.successors, strict=True))
    members = dict(zip(cond.component, cond.members, strict=True))
    depth: dict[int, int] = {}
    nxt: dict[int, int | None] = {}
    for c in sorted(succ):  # iterative DFS post-order
        if c in depth:
            continue
        stack = [(c, iter(sorted(succ[c])))]
        while stack:
            top, it = stack[-1]
            for d in it:
                if d not in depth:
                    stack.append((d, iter(sorted(succ[d]))))
                    break
            else:
                stack.pop()
                best = max(sorted(succ[top]), key=lambda d: depth[d], default=None)
                depth[top] = 0 if best is None else depth[best] + 1
                nxt[top] = best
    comp_of = {int(v): c for c, ms in members.items() for v in ms}
    rows = []
    names = nodes.full_name.tolist()
    for v, row in enumerate(nodes.itertuples()):
        c = comp_of[v]
        chain = [names[v]]
        step = nxt[c]
        while step is not None:
            chain.append(names[min(members[step])])
            step = nxt[step]
        rows.append(
            {
                "module": row.module,
                "id": row.id,
                "full_name": row.full_name,
                "line": row.line,
                "depth": depth[c],
                "chain": chain,
            }
        )
    return pa.Table.from_pylist(rows)


def _run(q: Query, store: Store, mode: str, math: CPGMath | None, started: float) -> QueryResult:
    compiled = q.compile(mode, legacy=store.schema_version < 2)
    rel: dict[str, pa.Table] = {}
    hits = lookups = 0
    if compiled.metrics or compiled.derived:
        m = _math_for(store, math)
        if compiled.metrics:
            rel["wb_metrics"], h, n = _metric_table(m, compiled.metrics)
            hits, lookups = hits + h, lookups + n
        if compiled.derived:
            rel[f"wb_{compiled.derived}"], h, n = _derived_table(m, compiled.derived)
            hits, lookups = hits + h, lookups + n
    df = store.sql(
        compiled.sql,
        compiled.params,
        relations=rel or None,
        metadata={"source": "builder", "relation": q.relation, "mode": mode, "key": q.key()},
    )
    result = QueryResult(df, q, compiled.sql, compiled.params, mode, 0.0, hits, lookups)
    result.ms = (time.perf_counter() - started) * 1000
    return result


def execute(q: Query, store: Store, *, math: CPGMath | None = None) -> QueryResult:
    """Run a query on a store: metric columns from the CPG (null for functions of modules
    without one: :attr:`QueryResult.ast_modules` lists them).

    Raises
    ------
    FeatureDisabledError
        The query reads CPG columns and CPG support is off (use
        :func:`execute_with_fallback` for an AST-level answer).
    QueryError
        The query names an unknown relation, column or operator.
    """
    started = time.perf_counter()
    compiled = q.compile("cpg")
    if compiled.reads_cpg and not _cpg_on(store):
        store.require_cpg()
        raise FeatureDisabledError(store.root, f"relation {q.relation!r} needs CPG support")
    result = _run(q, store, "cpg", math, started)
    if compiled.reads_cpg:
        result.cpg_modules, result.ast_modules, _ = _split_modules(store)
    return result


def _split_modules(store: Store) -> tuple[list[int], list[int], dict[str, int]]:
    """Module keys with a CPG, and without one (pending, failed, skipped, CPG off), with
    the count of the latter by status."""
    mods = store.modules()
    if "cpg_status" not in mods.columns or not _cpg_on(store):
        return [], sorted(mods.module.tolist()), {}
    ok = mods.cpg_status == str(CpgStatus.OK)
    states = mods.cpg_status[~ok].fillna("none").value_counts()
    return (
        sorted(mods.module[ok].tolist()),
        sorted(mods.module[~ok].tolist()),
        dict(sorted(states.items())),
    )


def execute_with_fallback(q: Query, store: Store, *, math: CPGMath | None = None) -> QueryResult:
    """Run a query, answering from the AST-level tables where the CPG cannot.

    - CPG support off: every row from the AST-level tables;
    - a module without a CPG (pending, failed, skipped): its rows from the AST;
    - the CPG query fails (a damaged CPG file, a refused algorithm...): every row from the
      AST.

    Rows carry ``source`` (``cpg`` or ``ast``; ``mixed`` for a group of both) when the query
    reads CPG columns; a :class:`FallbackWarning` and a ``fallback`` telemetry event say what
    fell back and why. Relations only a CPG has (``cpg_nodes``, ``communities``...) have no
    AST-level answer: their rows are those of the modules that have a CPG (none with CPG
    support off), with the same warning. A query reading no CPG column answers exactly as on
    a store that never had a CPG (its ``source`` is ``ast`` only if it asks for one).
    """
    started = time.perf_counter()
    compiled = q.compile("cpg")
    rel = RELATIONS[q.relation or ""]
    if not compiled.reads_cpg:
        return _run(q, store, "cpg", math, started)
    if not _cpg_on(store):
        reason = "CPG support is off"
        empty = rel.cpg_only  # nothing at AST level answers it
        result = _empty(q, store, started) if empty else _run(q, store, "ast", math, started)
        result.ast_modules = _split_modules(store)[1]
        return _warn(result, store, reason)
    cpg, without, states = _split_modules(store)
    try:
        result = _run(q, store, "mixed", math, started)
    except QueryError:
        raise  # the query is wrong (a value of the wrong type...): no fallback hides that
    except (WorkbenchError, MemoryError) as e:  # a damaged CPG file, a refused algorithm...
        if rel.cpg_only:
            raise
        result = _run(q, store, "ast", math, started)
        result.ast_modules = sorted(cpg + without)
        return _warn(result, store, f"the CPG query failed ({type(e).__name__}: {e})")
    result.cpg_modules, result.ast_modules = cpg, without
    if without:
        counts = ", ".join(f"{n} {s}" for s, n in states.items())
        reason = f"{len(without)} of {len(cpg) + len(without)} modules have no CPG ({counts})"
        return _warn(result, store, reason)
    return result


def _empty(q: Query, store: Store, started: float) -> QueryResult:
    rel = RELATIONS[q.relation or ""]
    cols = [_output_name(c) for c in q.columns] or list(rel.default)
    df = pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    return QueryResult(df, q, "", [], "none", (time.perf_counter() - started) * 1000)


def _warn(result: QueryResult, store: Store, reason: str) -> QueryResult:
    n = len(result.ast_modules)
    if RELATIONS[result.query.relation or ""].cpg_only:
        text = f"{result.query.relation}: {reason}; the rows of {n} module(s) are missing"
    else:
        text = (
            f"{result.query.relation}: {reason}; {n} module(s) answered from the AST-level "
            "tables (metrics only a CPG has are null there)"
        )
    result.warnings.append(text)
    warnings.warn(text, FallbackWarning, stacklevel=3)
    telemetry.emit(
        "fallback",
        store=store.root,
        detail=text,
        measurements={"ast_modules": len(result.ast_modules), "rows": result.rows},
        metadata={"relation": result.query.relation, "reason": reason, "key": result.query.key()},
    )
    return result


#: Views of derived metrics that :func:`sql` adds when a statement names them.
DERIVED_VIEWS = ("function_metrics", "communities", "critical_paths")


def sql(
    store: Store, text: str, params: Any = None, *, math: CPGMath | None = None
) -> pd.DataFrame:
    """SQL over the store's tables plus views of derived metrics, computed (and cached) only
    when the statement names them: ``function_metrics`` (``module, full_name, line`` and
    every call-graph metric: pagerank, betweenness, closeness, fan_in, community, impact,
    reach), ``communities`` and ``critical_paths`` (as the relations of the same names).

    >>> import tempfile
    >>> from workbench.store import Store
    >>> store = Store.create(tempfile.mkdtemp() + "/s")
    >>> sql(store, "SELECT count(*) AS n FROM functions").n.tolist()
    [0]
    """
    from workbench.store.sql import tables_named

    found = tables_named(text)
    if found is None:  # several statements or not parsable: a word match, to be safe
        found = {v for v in DERIVED_VIEWS if re.search(rf"\b{v}\b", text, re.IGNORECASE)}
    named = set(DERIVED_VIEWS) & found
    relations: dict[str, pa.Table] = {}
    if named:
        if not _cpg_on(store):
            store.require_cpg()
            raise FeatureDisabledError(store.root, f"{sorted(named)} need CPG support")
        m = _math_for(store, math)
        if "function_metrics" in named:
            relations["function_metrics"] = _metric_table(m, METRICS)[0]
        for name in sorted(named - {"function_metrics"}):
            relations[name] = _derived_table(m, name)[0]
    return store.sql(text, params, relations=relations or None)
