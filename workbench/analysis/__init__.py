"""Analysis: graph algorithms over the CPG (CPGMath), their cache and circuit breaker, and the
query layer (a builder over tables and metrics, with the AST fallback).

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

__all__ = [
    "ALGORITHMS",
    "DEFAULT_BUDGETS",
    "KINDS",
    "Budget",
    "CPGMath",
    "CircuitBreaker",
    "CodeGraph",
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
