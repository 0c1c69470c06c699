"""The data of the call-graph analysis: per-module value-flow summaries.

A :class:`ModuleSummary` is what one module's code does with values, as constraints over
variables and objects (plain strings and tuples: a summary pickles and serialises as JSON). A
frontend makes it from the module's syntax tree (for Python,
:func:`workbench.frontends.python.flows.summarize`); :mod:`workbench.callgraph.solver` solves
the summaries of a whole project together.

Objects (abstract values), by prefix:

``f:<key>``      a function defined in the project (``key`` as :attr:`FunctionInfo.key`)
``c:<key>``      a class of the project; ``i:<key>`` its instances (one abstract instance each)
``m:<name>``     a module of the project
``x:<name>``     anything outside the project, by dotted name (``x:builtins.len``, ``x:os.path``)
``xi:<name>``    an instance of an outside class (``xi:builtins.str``)
``l:<kind>@<site>`` a list, tuple, set or dict made at a site; its elements are ``...#<e>``
``g:<key>``      the generator (or async generator) of a generator function
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ELEMENTS", "RETURN", "ClassInfo", "FunctionInfo", "ModuleSummary", "Site"]

#: ``(ast type, line, col, end line, end col)``: a node of the module, as the CPG stores it.
Site = tuple[str, int, int, int, int]

ELEMENTS = "<e>"
RETURN = "<ret>"


@dataclass
class FunctionInfo:
    """A ``def`` or ``lambda`` of the module.

    ``key`` is unique in the project: the full name (``mod.C.m``, ``mod.f.<locals>.g``), with
    ``@line:col`` appended when the module defines that full name more than once.
    """

    key: str
    name: str  #: the full name, as the CPG's ``cpg_methods.full_name``
    line: int
    params: list[str]  #: positional parameters (positional-only first), as variables
    kwonly: list[str]
    vararg: str | None
    kwarg: str | None
    generator: bool = False
    klass: str | None = None  #: key of the class whose body defines it
    decorators: list[str] = field(default_factory=list)  #: decorators as written
    #: ``[start, end)`` of the constraints of its body (nested definitions included) in
    #: :attr:`ModuleSummary.constraints`
    span: tuple[int, int] = (0, 0)
    col: int = 0  #: column of the ``def`` / ``lambda`` (with ``line``: its METHOD node)


@dataclass
class ClassInfo:
    """A ``class`` statement: its key (full name), its base expressions as variables."""

    key: str
    name: str
    line: int
    bases: list[str]
    decorators: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)  #: annotated names of the body, in order
    col: int = 0  #: column of the ``class`` statement
    #: ``[start, end)`` of the constraints of its body (methods included)
    span: tuple[int, int] = (0, 0)


@dataclass
class ModuleSummary:
    """The constraints of one module and what it defines.

    ``constraints`` are tuples whose first item names the kind (see
    :mod:`workbench.callgraph.solver` for their meaning); ``exports`` are the names a
    ``from module import *`` takes (``__all__`` when it is a literal list or tuple, else the
    module's public global names).
    """

    module: str
    is_package: bool
    functions: list[FunctionInfo] = field(default_factory=list)
    classes: list[ClassInfo] = field(default_factory=list)
    constraints: list[tuple] = field(default_factory=list)
    exports: list[str] = field(default_factory=list)
    explicit_all: bool = False  #: ``exports`` is the module's literal ``__all__``
    star_imports: list[str] = field(default_factory=list)  #: modules it star-imports
