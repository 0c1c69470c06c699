"""The schema, declared once: node and edge kinds, and every table's Arrow schema.

Kinds follow Joern's CPG specification so that users and papers recognise them; Python
refinements go into ``subkind`` and the exact :mod:`ast` class into ``ast_type``. Every table is
a :class:`pyarrow.Schema` whose fields carry a ``doc`` and whose metadata carries the table name
and the schema version that introduced it. Everything else (validation, SQL views, docs) is
derived from these objects; no other module spells a kind.

Examples
--------
>>> from workbench.cpg.schema import NODES, NodeKind, table_version
>>> NodeKind.METHOD
<NodeKind.METHOD: 'METHOD'>
>>> NODES.field("kind").metadata[b"doc"].decode()[:26]
'Joern node kind (NodeKind)'
>>> table_version(NODES)
2
"""

from __future__ import annotations

from enum import StrEnum

import pyarrow as pa

__all__ = [
    "ACCESS_STATS",
    "ANALYSIS_CACHE",
    "CPG_TABLES",
    "DECLARED",
    "EDGES",
    "FINDINGS",
    "FUNCTIONS",
    "GRAPHS",
    "LABELS",
    "METHODS",
    "MODULES",
    "MODULES_CPG_FIELDS",
    "MODULES_V1",
    "NODES",
    "SCHEMA_VERSION",
    "SOURCES",
    "TABLES",
    "TELEMETRY",
    "V1_TABLES",
    "CfgLabel",
    "CpgStatus",
    "EdgeKind",
    "NodeKind",
    "ParseStatus",
    "Resolution",
    "Subkind",
    "analysis_group",
    "describe",
    "introduced_in",
    "table_key",
    "table_name",
    "table_owner",
    "table_version",
    "tables_for",
]

#: The newest schema version this code knows. v1: the AST repository; v2: adds the CPG.
SCHEMA_VERSION = 2


class NodeKind(StrEnum):
    """Joern node kinds used for Python (``cpg_nodes.kind``)."""

    METHOD = "METHOD"  #: a function, lambda, comprehension, class body or module body
    METHOD_PARAMETER_IN = "METHOD_PARAMETER_IN"  #: a formal parameter
    METHOD_RETURN = "METHOD_RETURN"  #: the single exit of a method (synthetic)
    METHOD_REF = "METHOD_REF"  #: where a method is defined (def statement, lambda, comprehension)
    TYPE_DECL = "TYPE_DECL"  #: a class statement
    BLOCK = "BLOCK"  #: a statement list (body, orelse, ...) or ``pass``
    CALL = "CALL"  #: a call site, or an operator (subkind OPERATOR) or pattern (subkind PATTERN)
    IDENTIFIER = "IDENTIFIER"  #: a name in load, store or del context
    LITERAL = "LITERAL"  #: a constant (subkind: its Python type)
    FIELD_IDENTIFIER = "FIELD_IDENTIFIER"  #: the attribute name of ``x.attr``
    RETURN = "RETURN"  #: a return statement
    CONTROL_STRUCTURE = "CONTROL_STRUCTURE"  #: if/while/for/try/with/match/... (see Subkind)
    #: a declaration that binds nothing yet (global, nonlocal, ``x: int``), or an unbinding
    LOCAL = "LOCAL"
    IMPORT = "IMPORT"  #: an import statement (subkind IMPORT/IMPORT_FROM) or one alias (ALIAS)
    UNKNOWN = "UNKNOWN"  #: a syntax class this version does not know (never for Python 3.11)


class Subkind(StrEnum):
    """Language refinements of a node kind (``cpg_nodes.subkind``)."""

    # METHOD
    MODULE = "MODULE"
    FUNCTION = "FUNCTION"
    LAMBDA = "LAMBDA"
    CLASS_BODY = "CLASS_BODY"
    LISTCOMP = "LISTCOMP"
    SETCOMP = "SETCOMP"
    DICTCOMP = "DICTCOMP"
    GENEXP = "GENEXP"
    # METHOD_PARAMETER_IN
    POSITIONAL_ONLY = "POSITIONAL_ONLY"
    POSITIONAL = "POSITIONAL"
    VARARG = "VARARG"
    KEYWORD_ONLY = "KEYWORD_ONLY"
    KWARG = "KWARG"
    # CONTROL_STRUCTURE
    IF = "IF"
    WHILE = "WHILE"
    FOR = "FOR"
    TRY = "TRY"
    EXCEPT = "EXCEPT"
    WITH = "WITH"
    #: the ``__exit__`` of a ``with`` that an exception left the body through: it may suppress
    #: the exception (on to after the ``with``) or propagate it (synthetic)
    WITH_EXIT = "WITH_EXIT"
    MATCH = "MATCH"
    CASE = "CASE"
    BREAK = "BREAK"
    CONTINUE = "CONTINUE"
    THROW = "THROW"
    ASSERT = "ASSERT"
    # BLOCK
    BODY = "BODY"
    ORELSE = "ORELSE"
    FINALLY = "FINALLY"
    PASS = "PASS"
    # CALL
    OPERATOR = "OPERATOR"
    PATTERN = "PATTERN"
    # LOCAL
    GLOBAL = "GLOBAL"
    NONLOCAL = "NONLOCAL"
    ANNOTATION = "ANNOTATION"
    #: the end of ``except E as name:``, which deletes ``name`` (synthetic)
    UNBIND = "UNBIND"
    #: a type parameter of a generic ``def``, ``class`` or ``type`` (PEP 695, Python 3.12+)
    TYPE_PARAM = "TYPE_PARAM"
    # IMPORT
    IMPORT = "IMPORT"
    IMPORT_FROM = "IMPORT_FROM"
    ALIAS = "ALIAS"


class EdgeKind(StrEnum):
    """Joern edge kinds (``cpg_edges.kind``)."""

    AST = "AST"  #: parent -> child, in ``order``
    CFG = "CFG"  #: control flow between statements and branch conditions (label: CfgLabel)
    DOMINATE = "DOMINATE"  #: immediate dominator -> node
    POST_DOMINATE = "POST_DOMINATE"  #: immediate post-dominator -> node
    CDG = "CDG"  #: branch node -> node control dependent on it (label: the branch's CFG label)
    REACHING_DEF = "REACHING_DEF"  #: definition -> use (label: the variable)
    CALL = "CALL"  #: call site -> METHOD of the callee (label: Resolution)
    ARGUMENT = "ARGUMENT"  #: call site -> argument (label: 1-based position or keyword name)
    RECEIVER = "RECEIVER"  #: call site -> receiver expression of ``obj.m(...)``
    #: method -> every node it holds. Not stored: it is the ``cpg_nodes.method`` column, and
    #: ``CPG.to_networkx(layers=("CONTAINS",))`` materialises it.
    CONTAINS = "CONTAINS"


class CfgLabel(StrEnum):
    """Labels of CFG edges; an unlabelled edge is plain sequential flow."""

    TRUE = "true"  #: condition held / pattern matched / handler matched / loop has an item
    FALSE = "false"  #: the opposite
    EXCEPTION = "exception"  #: an exception leaves the source node


class Resolution(StrEnum):
    """How a call's callee was found (``cpg_nodes.resolution``, CALL edge label)."""

    LOCAL = "local"  #: a function defined in this module (any enclosing scope)
    CLASS = "class"  #: a class instantiation; the callee is its ``__init__``
    METHOD = "method"  #: ``self.m()``, ``cls.m()``, ``super().m()``, ``C.m()``
    IMPORT = "import"  #: a name bound by an import (resolved across modules by the linker)
    BUILTIN = "builtin"  #: a builtin such as ``len``
    UNRESOLVED = "unresolved"  #: a call through a variable, parameter or unknown object
    # CALL edges of the value-flow call graph (:mod:`workbench.callgraph`)
    POINTS_TO = "points-to"  #: a call expression whose callee the value-flow analysis found
    DECORATOR = "decorator"  #: applying a decorator to the function or class it decorates
    PROTOCOL = "protocol"  #: a special method: ``__iter__``, ``__enter__``, ``__add__``, ...
    PROPERTY = "property"  #: reading, setting or deleting a property calls its accessor
    CLASS_BODY = "class-body"  #: a ``class`` statement runs the class body
    MODULE_BODY = "module-body"  #: an import runs the imported module's body


class ParseStatus(StrEnum):
    """``modules.parse_status``."""

    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


class CpgStatus(StrEnum):
    """``cpg_graphs.status`` and ``modules.cpg_status``."""

    PENDING = "pending"
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


def _f(name: str, type_: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"doc": doc})


def _schema(
    table: str, version: int, owner: str, doc: str, *fields: pa.Field, key: str | None = None
) -> pa.Schema:
    return pa.schema(
        fields,
        metadata={
            "workbench.table": table,
            "workbench.schema_version": str(version),
            "workbench.owner": owner,
            "workbench.key": key or fields[0].name,
            "doc": doc,
        },
    )


_MODULE = _f(
    "module", pa.int64(), "Module key: hash of the path relative to the source root", False
)
_STR = pa.string()
_I32 = pa.int32()
_I64 = pa.int64()

# --- v1: the AST repository ----------------------------------------------------------------

MODULES_V1 = _schema(
    "modules",
    1,
    "pipeline",
    "One row per source file of the repository.",
    _MODULE,
    _f("path", _STR, "Path relative to the source root, POSIX separators", False),
    _f("name", _STR, "Dotted module name (package/__init__.py -> package)", False),
    _f("language", _STR, "Source language ('python')", False),
    _f("content_hash", _STR, "SHA-256 of the file's bytes (hex)", False),
    _f("size_bytes", _I64, "File size in bytes", False),
    _f("lines", _I32, "Number of lines"),
    _f("parse_status", _STR, "ParseStatus: ok, failed or skipped", False),
    _f("error_type", _STR, "WorkbenchError subclass name when not ok"),
    _f("error_message", _STR, "Error message when not ok"),
    _f("error_line", _I32, "1-based line of the error, when known"),
    _f("error_col", _I32, "0-based column of the error (UTF-8 bytes), when known"),
)

FUNCTIONS = _schema(
    "functions",
    1,
    "pipeline",
    "One row per function or method, from the syntax tree alone (no CPG needed).",
    _MODULE,
    _f("qualname", _STR, "Python __qualname__ (C.m, f.<locals>.g)", False),
    _f("name", _STR, "The def's name", False),
    _f("line", _I32, "First line of the def statement", False),
    _f("end_line", _I32, "Last line", False),
    _f("parameters", pa.list_(_STR), "Parameter names in order", False),
    _f("decision_points", _I32, "if/elif, loops, except handlers, match cases, boolean ops", False),
    _f("nesting", _I32, "Deepest nesting of compound statements", False),
    _f("statements", _I32, "Statements in the body (nested defs excluded)", False),
    _f("calls", pa.list_(_STR), "Callees as written, sorted, distinct", False),
)

SOURCES = _schema(
    "sources",
    1,
    "pipeline",
    "The bytes of every module ingest read, so that builds need only the store (remote "
    "workers, repair, widgets). Parquet compresses them (zstd).",
    _MODULE,
    _f("content_hash", _STR, "SHA-256 of data (hex): the module's content_hash", False),
    _f("data", pa.large_binary(), "The file's bytes, as read", False),
)

# --- v2: the CPG ----------------------------------------------------------------------------

#: Fields the v1 -> v2 migration adds to ``modules`` (the versioned "CPGData" of a module).
MODULES_CPG_FIELDS = (
    _f("cpg_status", _STR, "CpgStatus of the module's CPG: pending, ok, failed, skipped"),
    _f("cpg_generator", _STR, "Generator version that built the current CPG"),
    _f("cpg_source_hash", _STR, "content_hash of the source the current CPG was built from"),
    _f("cpg_graph_hash", _STR, "Content hash of the current CPG tables of this module"),
)

MODULES = pa.schema(
    list(MODULES_V1) + list(MODULES_CPG_FIELDS),
    metadata={**MODULES_V1.metadata, b"workbench.schema_version": b"2"},
)

NODES = _schema(
    "cpg_nodes",
    2,
    "pipeline",
    "CPG nodes. (module, id) is a global reference; ids are pre-order and stable.",
    _MODULE,
    _f("id", _I32, "Node id, local to the module, in pre-order of the syntax tree", False),
    _f("kind", _STR, "Joern node kind (NodeKind)", False),
    _f("subkind", _STR, "Python refinement of the kind (Subkind or literal type)"),
    _f("ast_type", _STR, "Exact Python ast class; null for synthetic nodes"),
    _f("name", _STR, "Identifier, method, parameter, callee-as-written or operator name"),
    _f("full_name", _STR, "Qualified name: methods, types, imports, resolved callees"),
    _f("code", _STR, "Source text (compound statements: their header), cut at 240 chars"),
    _f("line", _I32, "1-based first line"),
    _f("col", _I32, "0-based first column, in UTF-8 bytes as ast counts"),
    _f("end_line", _I32, "1-based last line"),
    _f("end_col", _I32, "0-based end column (exclusive), UTF-8 bytes"),
    _f("parent", _I32, "AST parent id (also an AST edge); null for the module METHOD"),
    _f("order", _I32, "1-based position among the AST parent's children"),
    _f("method", _I32, "Id of the METHOD holding the node (the CONTAINS relation)", False),
    _f("resolution", _STR, "CALL nodes: how the callee was resolved (Resolution)"),
    _f("reachable", pa.bool_(), "False for code no path from its method's entry reaches", False),
)

EDGES = _schema(
    "cpg_edges",
    2,
    "pipeline",
    "CPG edges; rows grouped by kind in EdgeKind order, then in build order.",
    _MODULE,
    _f("src", _I32, "Source node id (in `module`)", False),
    _f("dst", _I32, "Destination node id (in `dst_module` when set, else `module`)", False),
    _f("kind", _STR, "Joern edge kind (EdgeKind)", False),
    _f("label", _STR, "CFG/CDG: CfgLabel; REACHING_DEF: variable; CALL: Resolution; ARGUMENT: pos"),
    _f("dst_module", _I64, "Destination module key for cross-module CALL edges, else null"),
)

METHODS = _schema(
    "cpg_methods",
    2,
    "pipeline",
    "One row per METHOD node with metrics computed from its CPG.",
    _MODULE,
    _f("id", _I32, "METHOD node id", False),
    _f("name", _STR, "Short name (<lambda>, <listcomp>, <module>, class name for class bodies)"),
    _f("full_name", _STR, "module.qualname (Python's __qualname__ rules)", False),
    _f("subkind", _STR, "METHOD subkind", False),
    _f("parent_method", _I32, "Enclosing METHOD id; null for the module"),
    _f("line", _I32, "First line"),
    _f("end_line", _I32, "Last line"),
    _f("parameters", _I32, "Number of parameters", False),
    _f("statements", _I32, "Statements in the body (nested methods excluded)", False),
    _f("cfg_nodes", _I32, "CFG nodes, entry and exit included", False),
    _f("cfg_edges", _I32, "CFG edges", False),
    _f("unreachable", _I32, "CFG nodes not reachable from the entry", False),
    _f(
        "cyclomatic",
        _I32,
        "E - N + 2 over reachable CFG nodes; E: non-exception edges, +1 per node only"
        " exceptions leave (raise)",
        False,
    ),
    _f("mccabe", _I32, "What the mccabe package (flake8 C901) reports for this function", False),
    _f("nesting", _I32, "Deepest nesting of compound statements in the body", False),
    _f("fan_out", _I32, "Distinct callees (full names) called from the body", False),
    _f("is_generator", pa.bool_(), "Body contains yield or yield from", False),
    _f("is_async", pa.bool_(), "async def, or await inside", False),
)

GRAPHS = _schema(
    "cpg_graphs",
    2,
    "pipeline",
    "One row per module build: the versioning and caching fields of a module's CPG.",
    _MODULE,
    _f("status", _STR, "CpgStatus: pending, ok, failed, skipped", False),
    _f("error_type", _STR, "WorkbenchError subclass or exception class when failed/skipped"),
    _f("error_message", _STR, "Error message when failed/skipped"),
    _f("generator", _STR, "Generator version (workbench version + frontend revision)", False),
    _f("schema_version", _I32, "Schema version of the rows written", False),
    _f("content_hash", _STR, "SHA-256 of the source the build read", False),
    _f("graph_hash", _STR, "Content hash of the module's node and edge rows"),
    _f("nodes", _I64, "Node rows written"),
    _f("edges", _I64, "Edge rows written"),
    _f("methods", _I64, "Method rows written"),
    _f("build_seconds", pa.float64(), "Wall time of the build"),
    _f("built_at", pa.timestamp("us", tz="UTC"), "When the build finished"),
)

ANALYSIS_CACHE = _schema(
    "analysis_cache",
    2,
    "analysis",
    "Cached results of graph algorithms keyed by graph content, algorithm and parameters.",
    _f("graph_hash", _STR, "Content hash of the input graph", False),
    _f("algorithm", _STR, "Registered algorithm name", False),
    _f("params_hash", _STR, "Hash of the canonical JSON of the parameters", False),
    _f("result", pa.large_binary(), "Arrow IPC stream of the result table", False),
    _f("seconds", pa.float64(), "Compute time of the cached run"),
    _f("created_at", pa.timestamp("us", tz="UTC"), "When the entry was written", False),
)


def analysis_group(module: int | None) -> str:
    """The file group of ``analysis_cache`` rows: a result that reads one module's own rows
    only (a method's or a module's CFG, CDG, data dependence) lives in that module's group and
    goes when the module is rebuilt; every other result (project graphs, and graphs whose
    edges depend on other modules: calls, imports, inheritance) lives in group ``project``,
    which goes when any module is rebuilt.

    >>> analysis_group(None), analysis_group(1), analysis_group(-1)
    ('project', 'm0000000000000001', 'mffffffffffffffff')
    """
    return "project" if module is None else f"m{module & 0xFFFFFFFFFFFFFFFF:016x}"


ACCESS_STATS = _schema(
    "access_stats",
    2,
    "store",
    "Read counts per module, used to build the most-accessed modules first.",
    _MODULE,
    _f("reads", _I64, "Times the module, one of its functions or its CPG was read", False),
    _f("last_read", pa.timestamp("us", tz="UTC"), "Most recent read"),
)

TELEMETRY = _schema(
    "telemetry",
    2,
    "telemetry",
    "Events of operations (ingest, migrate, generate, builds, queries, algorithms, cache "
    "lookups, breaker trips, alerts): name, measurements, metadata (workbench.telemetry).",
    _f("ts", pa.timestamp("us", tz="UTC"), "When the event ended", False),
    _f("id", _STR, "Event id, unique across processes", False),
    _f("event", _STR, "Event name (ingest, migrate, build, query, algorithm, cache, ...)", False),
    _f("seconds", pa.float64(), "Duration, for timed events"),
    _f("module", _I64, "Module key, when the event concerns one module"),
    _f("detail", _STR, "Free text: the SQL of a query, an error message"),
    _f("measurements", _STR, "JSON object of numbers (rows, nodes, ...)"),
    _f("metadata", _STR, "JSON object (algorithm, outcome, cache tier, ...)"),
    key="id",
)

_LOCATION = pa.struct([pa.field("module", _I64), pa.field("id", _I32), pa.field("line", _I32)])

FINDINGS = _schema(
    "findings",
    2,
    "analysis",
    "Pattern findings of the last scan of each module (workbench.analysis.patterns).",
    _MODULE,
    _f(
        "fingerprint", _STR, "Stable id: rule, file, method, sink and source code (no lines)", False
    ),
    _f("rule_id", _STR, "Id of the rule that matched", False),
    _f("rule_version", _I32, "Version of that rule", False),
    _f("kind", _STR, "Rule kind: node, metric, graph or taint", False),
    _f("severity", _STR, "error, warning or note (SARIF levels)", False),
    _f("cwe", pa.list_(_I32), "CWE numbers of the rule", False),
    _f("category", _STR, "security or quality"),
    _f("message", _STR, "The rule's message", False),
    _f("path", _STR, "Module path relative to the source root"),
    _f("method", _STR, "Full name of the method holding the sink / matched node"),
    _f("line", _I32, "First line of the sink / matched node"),
    _f("col", _I32, "0-based column of the sink / matched node"),
    _f("end_line", _I32, "Last line of the sink / matched node"),
    _f("node", _I32, "Node id of the sink / matched node (null for module/method findings)"),
    _f("code", _STR, "Code of the sink / matched node"),
    _f("source_module", _I64, "Taint: module key of the source"),
    _f("source_line", _I32, "Taint: line of the source"),
    _f("source_code", _STR, "Taint: code of the source"),
    _f("trace", pa.list_(_LOCATION), "Taint: the path from source to sink (module, id, line)"),
)

LABELS = _schema(
    "labels",
    2,
    "analysis",
    "User feedback on findings: true or false positive, keyed by finding fingerprint.",
    _f("fingerprint", _STR, "Fingerprint of the finding", False),
    _f("rule_id", _STR, "Rule of the finding", False),
    _f("verdict", _STR, "tp (true positive) or fp (false positive)", False),
    _f("note", _STR, "Free text"),
    _f("author", _STR, "Who labelled it"),
    _f("labelled_at", pa.timestamp("us", tz="UTC"), "When", False),
    key="fingerprint",
)

#: Every declaration, oldest first: a table's schema in a version is its newest declaration
#: that is not newer than the version. A layer that needs a table declares it here (with the
#: version that introduces it) and a migration step creates it (see workbench.store.migrations).
DECLARED: tuple[pa.Schema, ...] = (
    MODULES_V1,
    FUNCTIONS,
    SOURCES,
    MODULES,
    NODES,
    EDGES,
    METHODS,
    GRAPHS,
    ANALYSIS_CACHE,
    ACCESS_STATS,
    TELEMETRY,
    FINDINGS,
    LABELS,
)


def table_name(schema: pa.Schema) -> str:
    """The table a schema declares."""
    return schema.metadata[b"workbench.table"].decode()


def table_version(schema: pa.Schema) -> int:
    """The schema version declared in a table schema's metadata.

    >>> table_version(MODULES_V1), table_version(MODULES)
    (1, 2)
    """
    return int(schema.metadata[b"workbench.schema_version"])


def table_key(schema: pa.Schema) -> str:
    """The column a table's rows are sorted by (and looked up by).

    >>> table_key(NODES), table_key(ANALYSIS_CACHE)
    ('module', 'graph_hash')
    """
    return schema.metadata[b"workbench.key"].decode()


def table_owner(schema: pa.Schema) -> str:
    """The layer that writes the table (``pipeline``, ``store``, ``analysis``, ...)."""
    return schema.metadata[b"workbench.owner"].decode()


def tables_for(version: int) -> dict[str, pa.Schema]:
    """The tables of a schema version, each in that version's schema.

    >>> list(tables_for(1))
    ['modules', 'functions', 'sources']
    >>> tables_for(2)["modules"] is MODULES
    True
    """
    if not 1 <= version <= SCHEMA_VERSION:
        from workbench.errors import SchemaVersionError

        raise SchemaVersionError("?", f"unknown schema version {version}")
    out: dict[str, pa.Schema] = {}
    for schema in DECLARED:
        if table_version(schema) <= version:
            out[table_name(schema)] = schema
    return out


def introduced_in(version: int) -> dict[str, pa.Schema]:
    """The tables a schema version adds (the ones its migration creates).

    >>> list(introduced_in(2))[:3]
    ['cpg_nodes', 'cpg_edges', 'cpg_methods']
    """
    before = tables_for(version - 1) if version > 1 else {}
    return {n: s for n, s in tables_for(version).items() if n not in before}


V1_TABLES: dict[str, pa.Schema] = tables_for(1)
#: The tables schema v2 adds: CPG, analysis cache, access statistics, telemetry.
CPG_TABLES: dict[str, pa.Schema] = introduced_in(2)
#: Every table of the newest schema version.
TABLES: dict[str, pa.Schema] = tables_for(SCHEMA_VERSION)


def describe(table: str):
    """The columns of a table as a pandas DataFrame: name, Arrow type, nullable, doc.

    >>> describe("cpg_edges").loc[:2, ["column", "type"]]
      column    type
    0 module   int64
    1    src   int32
    2    dst   int32
    """
    import pandas as pd

    try:
        schema = TABLES[table]
    except KeyError:
        from workbench.errors import NotFoundError

        raise NotFoundError(f"no table {table!r}; tables: {', '.join(TABLES)}") from None
    return pd.DataFrame(
        {
            "column": [f.name for f in schema],
            "type": [str(f.type) for f in schema],
            "nullable": [f.nullable for f in schema],
            "doc": [f.metadata[b"doc"].decode() for f in schema],
        }
    )
