"""The Python frontend: source -> CPG with the standard library's :mod:`ast` only.

The analysed code is parsed, never imported or executed.
"""

from __future__ import annotations

from workbench.callgraph.model import ModuleSummary
from workbench.cpg.graph import CPG, ModuleInfo
from workbench.cpg.ids import is_package, module_key, normalize_path
from workbench.cpg.ids import module_name as dotted_name
from workbench.errors import (
    BuildError,
    NestingTooDeepError,
    OutOfMemoryError,
    ParseError,
    SourceTooLargeError,
)
from workbench.frontends.python.arrow import to_tables
from workbench.frontends.python.builder import Builder, TooManyNodes
from workbench.frontends.python.checks import InvalidSyntax
from workbench.frontends.python.flows import reaching_uses, summarize
from workbench.frontends.python.source import (
    DEFAULT_LIMITS,
    Limits,
    content_hash,
    parse_source,
)

__all__ = ["GENERATOR", "Limits", "build_cpg", "build_module"]

#: Identifies the code that produced a CPG; stored with every build so that a change of the
#: generator invalidates cached graphs. Bump the revision when the output changes.
GENERATOR = "workbench-python/2"


def build_cpg(
    source: str | bytes,
    path: str | None = None,
    *,
    module_name: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> CPG:
    """Build the CPG of one Python module.

    Parameters
    ----------
    source
        The module's text, or its bytes (decoded as Python does: BOM, PEP 263 coding line,
        else UTF-8).
    path
        The module's path relative to its source root: it gives the module key and the dotted
        module name used in full names (``pkg/mod.py`` -> ``pkg.mod``).
    module_name
        Override the dotted module name.
    limits
        Size limits; larger inputs raise :class:`~workbench.errors.SourceTooLargeError`.

    Returns
    -------
    CPG

    Raises
    ------
    workbench.errors.SourceError
        A subclass saying why: ``ParseError`` (with line and column), ``DecodeError``,
        ``NulByteError``, ``SourceTooLargeError``, ``NestingTooDeepError``,
        ``OutOfMemoryError`` (memory ran out: a condition of the machine, not the module's).

    Examples
    --------
    >>> cpg = build_cpg("def add(a, b):\\n    return a + b\\n", path="calc.py")
    >>> cpg.methods.column("full_name").to_pylist()
    ['calc.<module>', 'calc.add']
    >>> cpg.find(kind="CALL", name="<operator>.addition")
    [8]
    """
    return _build(source, path, module_name, limits, with_summary=False)[0]


def build_module(
    source: str | bytes,
    path: str | None = None,
    *,
    module_name: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[CPG, ModuleSummary]:
    """:func:`build_cpg`, and the module's value-flow summary for the project call graph
    (:mod:`workbench.callgraph`), from one parse.

    Examples
    --------
    >>> cpg, summary = build_module("def f():\\n    return 1\\n", path="m.py")
    >>> [f.name for f in summary.functions]
    ['m.f']
    """
    cpg, summary = _build(source, path, module_name, limits, with_summary=True)
    assert summary is not None
    return cpg, summary


def _build(
    source: str | bytes,
    path: str | None,
    module_name: str | None,
    limits: Limits,
    with_summary: bool,
) -> tuple[CPG, ModuleSummary | None]:
    data = source
    tree, text = parse_source(data, path, limits)
    rel = normalize_path(path) if path else None
    name = module_name or (dotted_name(rel) if rel else "__main__")
    package = bool(rel) and is_package(rel)
    builder = Builder(text, name, package, limits.max_nodes)
    try:
        build = builder.build(tree)
    except TooManyNodes as e:
        raise SourceTooLargeError(
            path,
            f"skipped: too large (more than {limits.max_nodes:,} CPG nodes)",
            size=e.args[0],
            limit=limits.max_nodes,
        ) from None
    except InvalidSyntax as e:  # what the compiler rejects (see checks.py)
        raise ParseError(path, e.msg, line=e.line, col=e.col) from None
    except RecursionError:
        raise NestingTooDeepError(
            path, "syntax tree nested too deeply to build (RecursionError)"
        ) from None
    except MemoryError:
        raise OutOfMemoryError(path, "skipped: out of memory while building the CPG") from None
    except Exception as e:  # a bug in the builder: keep it to this module
        raise BuildError(path, f"{type(e).__name__}: {e}") from e
    summary = None
    if with_summary:
        try:
            summary = summarize(tree, name, package, reaching_uses(build))
        except RecursionError:
            raise NestingTooDeepError(
                path, "syntax tree nested too deeply to summarise (RecursionError)"
            ) from None
        except MemoryError:
            raise OutOfMemoryError(path, "skipped: out of memory while summarising") from None
        except Exception as e:  # a bug in the summary: keep it to this module
            raise BuildError(path, f"{type(e).__name__}: {e}") from e
    raw = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    key = module_key(rel) if rel else module_key(name)
    try:
        nodes, edges, methods = to_tables(build, key)
    except MemoryError:
        raise OutOfMemoryError(path, "skipped: out of memory while writing the tables") from None
    info = ModuleInfo(
        key=key,
        path=rel,
        name=name,
        content_hash=content_hash(raw),
        size_bytes=len(raw),
        lines=len(builder.lines),
    )
    return CPG(nodes, edges, methods, info), summary
