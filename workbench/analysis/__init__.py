"""Analysis: graph algorithms over the CPG (CPGMath), their cache and circuit breaker, the
query layer (a builder over tables and metrics, with the AST fallback), semantics (impact,
slices, coupling, smells: CPGSemantics), pattern rules and ML features.

The layer reads the store through its public API and the in-memory project; see
:mod:`workbench.analysis.cpgmath`.
"""

from workbench.analysis.breaker import Budget, CircuitBreaker
from workbench.analysis.cache import ResultCache
from workbench.analysis.cpgmath import ALGORITHMS, DEFAULT_BUDGETS, CPGMath
from workbench.analysis.graphs import KINDS, CodeGraph, load
from workbench.analysis.query import (
    FallbackWarning,
    Percentile,
    Query,
    QueryResult,
    execute_with_fallback,
    relations,
    sql,
)
from workbench.analysis.semantics import CPGSemantics
from workbench.analysis.tables import CodeTables

__all__ = [
    "ALGORITHMS",
    "DEFAULT_BUDGETS",
    "KINDS",
    "Budget",
    "CPGMath",
    "CPGSemantics",
    "CircuitBreaker",
    "CodeGraph",
    "CodeTables",
    "FallbackWarning",
    "Percentile",
    "Query",
    "QueryResult",
    "ResultCache",
    "execute_with_fallback",
    "load",
    "relations",
    "sql",
]
