"""Names, scopes and classes of one module, and the resolution of its call sites.

While it walks a module, the builder (:mod:`workbench.frontends.python.builder`) records a tree
of :class:`Scope` objects, one per method of the CPG (the module, each class body, function,
lambda and comprehension): the names each scope binds, the functions, classes and imports it
defines (:class:`Definition`), the classes of the module with their methods and bases
(:class:`ClassInfo`) and, for methods and their closures, which name holds the instance. Once
the walk is over every scope is complete, and a :class:`Resolver` over the module scope turns
the callee expression of each call site into a :data:`Resolved` triple
``(resolution, full name, target)``:

``resolution``
    One of the values of :class:`~workbench.cpg.schema.Resolution`, as a plain ``str``.
``full name``
    The dotted name of the callee (``pkg.mod.f``, ``pkg.mod.C.__init__``, ``os.path.join``,
    ``builtins.len``) or, when nothing is known about it, the callee as written.
``target``
    The id of the callee's ``METHOD`` node when it is defined in this module, else ``None``.

The rules are those of one module, flow-insensitive (the last definition of a name wins):

* a called name is looked up LEGB: the scope itself, the enclosing function scopes (the body of
  an enclosing class is not one, as in Python), the module (directly for a name declared
  ``global``), then the builtins. ``nonlocal`` is not tracked: a name the inner scope rebinds
  is bound there;
* the name is ``local`` when a ``def`` binds it, ``class`` when a ``class`` does (the callee is
  the class's ``__init__``, searched in the class and its bases), ``import`` when an import does
  (the full name is the imported dotted name); a name bound otherwise (assignment, parameter,
  ``for`` target...) is a value the resolver does not follow: ``unresolved``. That is also how a
  local or an import shadows a builtin;
* ``self.m()`` (the first parameter of a method, also seen by closures that do not rebind it),
  ``super().m()`` and ``C.m()`` are ``method`` calls, looked up in the class and then its bases
  defined in the module, depth first and left to right (the MRO when no base is shared);
* ``mod.f()`` through an import is ``import`` (``imported.name.f``); ``str.join()`` is
  ``builtin`` (``builtins.str.join``); any other callee is ``unresolved``.

Examples
--------
>>> import ast
>>> module = Scope(ScopeKind.MODULE)
>>> module.define_function("helper", "app.helper", 3)
>>> module.define_import(*import_binding("os.path", "osp"))
>>> resolver = Resolver(module)
>>> resolver.resolve_call(ast.parse("helper(1)", mode="eval").body.func, module)
('local', 'app.helper', 3)
>>> resolver.resolve_call(ast.parse("osp.join(a, b)", mode="eval").body.func, module)
('import', 'os.path.join', None)
>>> resolver.resolve_call(ast.parse("len(x)", mode="eval").body.func, module)
('builtin', 'builtins.len', None)
"""

from __future__ import annotations

__all__ = [
    "UNBOUND",
    "ClassInfo",
    "DefKind",
    "Definition",
    "Resolved",
    "Resolver",
    "Scope",
    "ScopeKind",
    "absolute_module",
    "attr_path",
    "dotted",
    "from_import_binding",
    "import_binding",
]

import ast
from enum import IntEnum
from typing import NamedTuple, TypeAlias

from workbench.cpg.schema import Resolution
from workbench.frontends.python.kinds import BUILTINS, CODE_MAX

#: ``(resolution, full name, target METHOD id or None)`` of one call site.
Resolved: TypeAlias = "tuple[str, str, int | None]"


class _Unbound:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNBOUND"


#: What :meth:`Resolver.binding` returns for a name that no scope binds.
UNBOUND = _Unbound()

# Resolutions as plain str (the values stored in the tables).
_LOCAL = str(Resolution.LOCAL)
_CLASS = str(Resolution.CLASS)
_METHOD = str(Resolution.METHOD)
_IMPORT = str(Resolution.IMPORT)
_BUILTIN = str(Resolution.BUILTIN)
_UNRESOLVED = str(Resolution.UNRESOLVED)

_Name, _Attribute, _Call = ast.Name, ast.Attribute, ast.Call


class ScopeKind(IntEnum):
    """What a :class:`Scope` is the namespace of."""

    MODULE = 0  #: the module
    FUNCTION = 1  #: a ``def`` or a ``lambda``
    CLASS = 2  #: a class body
    COMPREHENSION = 3  #: a list, set or dict comprehension or a generator expression
    #: the annotation scope of a generic ``def``, ``class`` or ``type`` (PEP 695): it binds
    #: the type parameters, between the enclosing scope and the function or class
    TYPE_PARAMS = 4


class DefKind(IntEnum):
    """What bound a name that :class:`Definition` records."""

    FUNCTION = 0  #: ``def`` (or ``async def``)
    CLASS = 1  #: ``class``
    IMPORT = 2  #: ``import`` or ``from ... import``


class Definition(NamedTuple):
    """A name bound by a ``def``, a ``class`` or an import.

    Examples
    --------
    >>> Definition(DefKind.IMPORT, "os.path", None).full_name
    'os.path'
    """

    #: What bound the name.
    kind: DefKind
    #: The function's or class's full name, or the imported dotted name.
    full_name: str
    #: The function's METHOD id, the class's :class:`ClassInfo`, ``None`` for an import.
    target: int | ClassInfo | None


class Scope:
    """The namespace of one method of the CPG: what it binds and defines.

    Parameters
    ----------
    kind
        What the scope belongs to.
    parent
        The enclosing scope; ``None`` for the module.
    cls
        For a class body: the class it defines.

    Attributes
    ----------
    kind : ScopeKind
    parent : Scope or None
    cls : ClassInfo or None
        The class a class body defines.
    locals : set of str
        Every name bound in the scope, whatever binds it (assignment, parameter, ``for``
        target, ``except ... as``, pattern capture, ``def``, ``class``, import). The builder
        adds to it directly.
    defs : dict of str to Definition
        The names of ``locals`` bound by a ``def``, a ``class`` or an import; the last wins.
    globals : set of str
        Names declared ``global`` in the scope: looked up in the module scope.
    self_name : str or None
        The name that holds the instance in a method (``self``, or ``cls`` of a classmethod)
        and in the closures inside it; see :meth:`bind_receiver`.
    self_class : ClassInfo or None
        The class of that instance.

    Examples
    --------
    >>> module = Scope(ScopeKind.MODULE)
    >>> body = Scope(ScopeKind.CLASS, module, ClassInfo("m.C", module, []))
    >>> body.define_function("run", "m.C.run", 7)
    >>> body.defs["run"]
    Definition(kind=<DefKind.FUNCTION: 0>, full_name='m.C.run', target=7)
    >>> body.cls.methods
    {'run': ('m.C.run', 7)}
    """

    __slots__ = ("cls", "defs", "globals", "kind", "locals", "parent", "self_class", "self_name")

    def __init__(self, kind: ScopeKind, parent: Scope | None = None, cls: ClassInfo | None = None):
        self.kind = kind
        self.parent = parent
        self.locals: set[str] = set()
        self.defs: dict[str, Definition] = {}
        self.globals: set[str] = set()
        self.cls = cls
        self.self_name: str | None = None
        self.self_class: ClassInfo | None = None

    def __repr__(self) -> str:
        return f"<Scope {self.kind.name} {sorted(self.locals)}>"

    def define_function(self, name: str, full_name: str, method: int) -> None:
        """Bind ``name`` to a ``def``; in a class body it also becomes a method of the class.

        Parameters
        ----------
        name
            The function's name.
        full_name
            Its full name (``pkg.mod.C.run``).
        method
            The id of its METHOD node.
        """
        self.locals.add(name)
        self.defs[name] = Definition(DefKind.FUNCTION, full_name, method)
        if self.kind == ScopeKind.CLASS and self.cls is not None:
            self.cls.methods[name] = (full_name, method)

    def define_class(self, name: str, info: ClassInfo) -> None:
        """Bind ``name`` to a ``class`` statement, described by ``info``."""
        self.locals.add(name)
        self.defs[name] = Definition(DefKind.CLASS, info.full_name, info)

    def define_import(self, name: str, target: str) -> None:
        """Bind ``name`` to the imported dotted name ``target``.

        See :func:`import_binding` and :func:`from_import_binding` for the pair to pass.
        """
        self.locals.add(name)
        self.defs[name] = Definition(DefKind.IMPORT, target, None)

    def bind_named_expr(self, name: str) -> None:
        """Bind the target of an assignment expression (``name := value``).

        In a comprehension it binds in the nearest enclosing scope that is not one (PEP 572).

        Examples
        --------
        >>> f = Scope(ScopeKind.FUNCTION, Scope(ScopeKind.MODULE))
        >>> comp = Scope(ScopeKind.COMPREHENSION, f)
        >>> comp.bind_named_expr("last")
        >>> sorted(f.locals), sorted(comp.locals)
        (['last'], [])
        """
        s = self
        while s.kind == ScopeKind.COMPREHENSION and s.parent is not None:
            s = s.parent
        s.locals.add(name)

    def bind_receiver(self, first_param: str | None, *, static: bool = False) -> None:
        """Decide which name, if any, holds the instance of a class in this scope.

        Call it once the scope's parameters are in :attr:`locals`. A ``def`` directly in a
        class body that is not a static method binds its first parameter to the class; other
        functions, lambdas and comprehensions see the receiver of the enclosing scope unless
        they rebind its name; class bodies have none.

        Parameters
        ----------
        first_param
            The name of the first positional parameter of a ``def``; ``None`` for a ``def``
            without one, a lambda, a comprehension or a class body.
        static
            The ``def`` is decorated ``@staticmethod``.

        Examples
        --------
        >>> module = Scope(ScopeKind.MODULE)
        >>> body = Scope(ScopeKind.CLASS, module, ClassInfo("m.C", module, []))
        >>> method = Scope(ScopeKind.FUNCTION, body)
        >>> method.bind_receiver("self")
        >>> method.self_name, method.self_class.full_name
        ('self', 'm.C')
        >>> closure = Scope(ScopeKind.FUNCTION, method)
        >>> closure.bind_receiver(None)
        >>> closure.self_name
        'self'
        """
        parent = self.parent
        while parent is not None and parent.kind == ScopeKind.TYPE_PARAMS:
            parent = parent.parent  # a generic method is still a method of its class
        if parent is None:
            return
        if parent.kind == ScopeKind.CLASS:
            if first_param is not None and not static:
                self.self_class = parent.cls
                self.self_name = first_param
        elif (
            parent.self_class is not None
            and self.kind != ScopeKind.CLASS
            and parent.self_name not in self.locals
        ):
            self.self_class = parent.self_class
            self.self_name = parent.self_name


class ClassInfo:
    """A class defined in the module: its methods and its bases.

    Parameters
    ----------
    full_name
        The class's full name (``pkg.mod.Outer.Inner``).
    scope
        The scope the ``class`` statement stands in, where its base names are looked up.
    bases
        The bases as written, when they are dotted names (``Base``, ``mod.Base``).

    Attributes
    ----------
    full_name, scope, bases
        As given.
    methods : dict of str to (str, int)
        The functions defined in the class body: name -> (full name, METHOD id).

    Examples
    --------
    >>> module = Scope(ScopeKind.MODULE)
    >>> info = ClassInfo("m.Child", module, ["Base"])
    >>> info.bases, info.methods
    (['Base'], {})
    """

    __slots__ = ("bases", "full_name", "methods", "scope")

    def __init__(self, full_name: str, scope: Scope, bases: list[str]):
        self.full_name = full_name
        self.scope = scope
        self.bases = bases
        self.methods: dict[str, tuple[str, int]] = {}

    def __repr__(self) -> str:
        return f"<ClassInfo {self.full_name}>"


class Resolver:
    """Resolves the call sites of one module once all its scopes are recorded.

    Parameters
    ----------
    module
        The module's scope (the root of the scope tree).

    Examples
    --------
    >>> import ast
    >>> module = Scope(ScopeKind.MODULE)
    >>> module.locals.add("cb")  # cb = something: a value, not followed
    >>> Resolver(module).resolve_call(ast.parse("cb()", mode="eval").body.func, module)
    ('unresolved', 'cb', None)
    """

    __slots__ = ("module",)

    def __init__(self, module: Scope):
        self.module = module

    def resolve_call(self, func: ast.expr, scope: Scope) -> Resolved:
        """Resolve the callee expression ``func`` of a call made in ``scope``.

        Parameters
        ----------
        func
            The ``func`` of the :class:`ast.Call`.
        scope
            The scope the call is made in.

        Returns
        -------
        Resolved
            ``(resolution, full name, target METHOD id or None)``.

        Examples
        --------
        >>> import ast
        >>> module = Scope(ScopeKind.MODULE)
        >>> base = ClassInfo("m.Base", module, [])
        >>> base.methods["greet"] = ("m.Base.greet", 4)
        >>> module.define_class("Base", base)
        >>> child = ClassInfo("m.Child", module, ["Base"])
        >>> module.define_class("Child", child)
        >>> method = Scope(ScopeKind.FUNCTION, Scope(ScopeKind.CLASS, module, child))
        >>> method.bind_receiver("self")
        >>> call = ast.parse("self.greet()", mode="eval").body
        >>> Resolver(module).resolve_call(call.func, method)
        ('method', 'm.Base.greet', 4)
        """
        cls = func.__class__
        if cls is _Name:
            return self.lookup(func.id, scope)
        if cls is _Attribute:
            return self._resolve_attribute(func, scope)
        return (_UNRESOLVED, _dotted_or_code(func), None)

    def _resolve_attribute(self, func: ast.Attribute, scope: Scope) -> Resolved:
        """``super().m``, ``self.m`` (``cls.m``), or ``a.b.m`` resolved from its head ``a``."""
        attr = func.attr
        value = func.value
        this = scope.self_class
        if (
            value.__class__ is _Call
            and value.func.__class__ is _Name
            and value.func.id == "super"
            and this is not None
        ):
            for base in this.bases:
                found = self.class_member(self.class_of(base, this.scope), attr)
                if found:
                    return (_METHOD, found[0], found[1])
            return (_METHOD, f"{this.full_name}.{attr}", None)
        path = attr_path(func)
        if path is None:
            return (_UNRESOLVED, _dotted_or_code(func), None)
        head, _, rest = path.partition(".")
        if scope.self_name is not None and head == scope.self_name and "." not in rest:
            found = self.class_member(this, rest)
            if found:
                return (_METHOD, found[0], found[1])
            return (_METHOD, f"{this.full_name}.{rest}", None)
        res, full, _ = self.lookup(head, scope)
        if res == _IMPORT:
            return (res, f"{full}.{rest}", None)
        if res == _CLASS:
            info = self.class_of(head, scope)
            if "." not in rest and info is not None:
                found = self.class_member(info, rest)
                if found:
                    return (_METHOD, found[0], found[1])
            base = info.full_name if info is not None else head
            return (_METHOD, f"{base}.{rest}", None)
        if res == _BUILTIN:
            return (res, f"builtins.{path}", None)
        return (_UNRESOLVED, path, None)

    def lookup(self, name: str, scope: Scope) -> Resolved:
        """Resolve a called name, as :meth:`resolve_call` does for ``name(...)``.

        Examples
        --------
        >>> module = Scope(ScopeKind.MODULE)
        >>> module.define_class("C", ClassInfo("m.C", module, []))
        >>> Resolver(module).lookup("C", module)
        ('class', 'm.C.__init__', None)
        >>> Resolver(module).lookup("nowhere", module)
        ('unresolved', 'nowhere', None)
        """
        d = self.binding(name, scope)
        if d is UNBOUND:
            if name in BUILTINS:
                return (_BUILTIN, f"builtins.{name}", None)
            return (_UNRESOLVED, name, None)
        if d is None:
            return (_UNRESOLVED, name, None)
        kind, full, target = d
        if kind == DefKind.FUNCTION:
            return (_LOCAL, full, target)
        if kind == DefKind.IMPORT:
            return (_IMPORT, full, None)
        found = self.class_member(target, "__init__")
        if found:
            return (_CLASS, found[0], found[1])
        return (_CLASS, f"{full}.__init__", None)

    def binding(self, name: str, scope: Scope) -> Definition | _Unbound | None:
        """What ``name`` refers to in ``scope``, looked up LEGB (without the builtins).

        Returns
        -------
        Definition or None or UNBOUND
            The :class:`Definition` of the scope that binds the name; ``None`` when that scope
            binds it otherwise (a variable or parameter); :data:`UNBOUND` when no scope does.

        Examples
        --------
        >>> module = Scope(ScopeKind.MODULE)
        >>> module.locals.add("x")
        >>> f = Scope(ScopeKind.FUNCTION, module)
        >>> Resolver(module).binding("x", f) is None, Resolver(module).binding("y", f)
        (True, UNBOUND)
        """
        cur = self.module if name in scope.globals else scope
        while cur is not None:
            if cur is not scope and cur.kind == ScopeKind.CLASS:
                cur = cur.parent
                continue
            if name in cur.locals:
                return cur.defs.get(name)
            cur = cur.parent
        return UNBOUND

    def class_of(self, name: str, scope: Scope) -> ClassInfo | None:
        """The class defined in this module that ``name`` refers to in ``scope``, if any."""
        d = self.binding(name, scope)
        return d[2] if d and d is not UNBOUND and d[0] == DefKind.CLASS else None

    def class_member(
        self, info: ClassInfo | None, attr: str, depth: int = 0
    ) -> tuple[str, int] | None:
        """Find the method ``attr`` in a class or its bases defined in this module.

        The class first, then each base depth first, left to right (the MRO when no base is
        shared; bases that are not classes of this module are skipped).

        Parameters
        ----------
        info
            The class; ``None`` finds nothing.
        attr
            The method's name.
        depth
            The recursion depth reached (inheritance cycles stop at 20).

        Returns
        -------
        (str, int) or None
            The method's full name and METHOD id.
        """
        if info is None or depth > 20:
            return None
        found = info.methods.get(attr)
        if found:
            return found
        for base in info.bases:
            found = self.class_member(self.class_of(base, info.scope), attr, depth + 1)
            if found:
                return found
        return None


def attr_path(node: ast.Attribute) -> str | None:
    """``a.b.c`` for an attribute chain rooted at a name, else ``None``.

    Examples
    --------
    >>> attr_path(ast.parse("a.b.c", mode="eval").body)
    'a.b.c'
    >>> attr_path(ast.parse("f().c", mode="eval").body) is None
    True
    """
    parts = [node.attr]
    v = node.value
    while v.__class__ is _Attribute:
        parts.append(v.attr)
        v = v.value
    if v.__class__ is not _Name:
        return None
    parts.append(v.id)
    parts.reverse()
    return ".".join(parts)


def dotted(node: ast.AST) -> str | None:
    """The dotted name a :class:`ast.Name` or attribute chain spells, else ``None``.

    Examples
    --------
    >>> [dotted(ast.parse(s, mode="eval").body) for s in ("Base", "mod.Base", "f(x)")]
    ['Base', 'mod.Base', None]
    """
    if node.__class__ is _Name:
        return node.id
    if node.__class__ is _Attribute:
        return attr_path(node)
    return None


def absolute_module(importer: str, is_package: bool, module: str | None, level: int) -> str:
    """The absolute name of the module that ``from <dots><module> import ...`` imports from.

    Parameters
    ----------
    importer
        The dotted name of the importing module.
    is_package
        The importer is a package (its ``__init__``): ``.`` is the importer itself.
    module
        ``ImportFrom.module`` (``None`` for ``from . import x``).
    level
        The number of leading dots.

    Returns
    -------
    str
        The absolute dotted name; the import as written (``..x``) when the dots climb above
        the top-level package; ``""`` for ``from . import x`` in a top-level module.

    Examples
    --------
    >>> absolute_module("pkg.sub.mod", False, "other", 2)
    'pkg.other'
    >>> absolute_module("pkg.sub", True, None, 1)
    'pkg.sub'
    >>> absolute_module("mod", False, "x", 3)
    '...x'
    """
    if level == 0:
        return module or ""
    parts = importer.split(".")
    if not is_package:
        parts = parts[:-1]
    if level - 1 > len(parts):
        return "." * level + (module or "")
    parts = parts[: len(parts) - (level - 1)]
    if module:
        parts.append(module)
    return ".".join(parts)


def import_binding(name: str, asname: str | None) -> tuple[str, str]:
    """The name an ``import name [as asname]`` binds and the dotted name it refers to.

    Examples
    --------
    >>> import_binding("a.b", None)
    ('a', 'a')
    >>> import_binding("a.b", "c")
    ('c', 'a.b')
    """
    if asname:
        return asname, name
    top = name.partition(".")[0]
    return top, top


def from_import_binding(base: str, name: str, asname: str | None) -> tuple[str, str]:
    """The name ``from base import name [as asname]`` binds and the dotted name it refers to.

    ``base`` is absolute (see :func:`absolute_module`).

    Examples
    --------
    >>> from_import_binding("x", "y", "z")
    ('z', 'x.y')
    >>> from_import_binding("", "sibling", None)
    ('sibling', 'sibling')
    """
    return asname or name, f"{base}.{name}" if base else name


# -- private helpers ---------------------------------------------------------------------------


def _dotted_or_code(node: ast.AST) -> str:
    return dotted(node) or ast.unparse(node)[:CODE_MAX]
