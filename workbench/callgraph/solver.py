"""The whole-project fixpoint: which objects each variable may hold, and the calls that follow.

:class:`Solver` takes the :class:`~workbench.callgraph.model.ModuleSummary` of every module
of a project and propagates objects along the constraints until nothing changes (a worklist
algorithm: a constraint is evaluated again only when a variable it read has grown). Calls are
resolved on the way, since what a call binds to parameters and returns depends on the objects
its callee may be, and the objects depend on the calls: a points-to analysis of the kind of
PyCG (Salis et al., ICSE 2021), flow-insensitive and context-insensitive, with one abstract
instance per class and one container per allocation site.

What a call does, by the callee object: a function binds the arguments to its parameters and
yields its return values (a generator function yields its generator object); a bound method
also binds the receiver to the first parameter; a class makes an instance and calls the
``__init__`` its MRO finds (C3 over project classes; an outside base ends the search with an
edge to ``<base>.__init__``); an instance calls its class's ``__call__``; anything from outside
the project is an edge to its dotted name, with the semantics of the builtins and ``functools``
higher-order functions (``map``, ``sorted(key=)``, ``partial``, ...), the methods of lists,
dicts and sets on the containers the analysis tracks, and the result types of builtin
constructors and ``str`` methods.

Every edge carries a *kind*: ``call`` for a call expression, and for the calls the interpreter
makes without one ``decorator``, ``protocol`` (``for``, ``with``, operators, subscripts,
``raise C``, ``__post_init__``), ``property``, ``class-body`` and ``module-body`` (an import
runs the module).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable

from workbench.callgraph.model import (
    ELEMENTS,
    RETURN,
    ClassInfo,
    FunctionInfo,
    ModuleSummary,
    Site,
)

__all__ = ["Edge", "Solver"]

#: ``(module, site, caller key, callee name, kind, callee key)`` of one call edge; the callee
#: key is a function's key, a module's name (module bodies) or a class key (class bodies),
#: None for callees outside the project.
Edge = tuple[str, Site, str, str, str, "str | None"]

#: Most objects one variable holds. Past it, further objects are dropped (and the variable is
#: listed in :attr:`Solver.truncated`): parameters of generic helpers that every value
#: reaches would otherwise make the analysis quadratic in the size of the project.
MAX_OBJECTS = 128
#: A decorator gets a copy of its body per decorated definition only when the body has at
#: most this many constraints, and for at most ``MAX_CLONES`` definitions.
MAX_CLONE_SIZE = 400
MAX_CLONES = 64
_MAX_DOTS = 5  # outside names longer than this are not followed (``x = x.parent`` loops)
_CONTAINERS = {
    "builtins.list",
    "builtins.tuple",
    "builtins.set",
    "builtins.frozenset",
    "builtins.dict",
}
_SCALARS = {
    "builtins.str",
    "builtins.bytes",
    "builtins.bytearray",
    "builtins.int",
    "builtins.float",
    "builtins.complex",
    "builtins.bool",
}
_STR_TO_STR = (
    "capitalize",
    "casefold",
    "center",
    "expandtabs",
    "format",
    "format_map",
    "join",
    "ljust",
    "lower",
    "lstrip",
    "replace",
    "removeprefix",
    "removesuffix",
    "rjust",
    "rstrip",
    "strip",
    "swapcase",
    "title",
    "translate",
    "upper",
    "zfill",
)
#: Result types of methods of builtin types: ``xi:`` instance, or ``l:`` a list of the type.
_RETURNS: dict[str, str] = {
    **{f"builtins.str.{m}": "xi:builtins.str" for m in _STR_TO_STR},
    **{f"builtins.bytes.{m}": "xi:builtins.bytes" for m in _STR_TO_STR if m != "format"},
    "builtins.str.encode": "xi:builtins.bytes",
    "builtins.bytes.decode": "xi:builtins.str",
    "builtins.repr": "xi:builtins.str",
    "builtins.format": "xi:builtins.str",
    "builtins.chr": "xi:builtins.str",
    "builtins.len": "xi:builtins.int",
    "builtins.str.split": "list:xi:builtins.str",
    "builtins.str.rsplit": "list:xi:builtins.str",
    "builtins.str.splitlines": "list:xi:builtins.str",
    "builtins.str.partition": "list:xi:builtins.str",
    "builtins.str.rpartition": "list:xi:builtins.str",
    "builtins.bytes.split": "list:xi:builtins.bytes",
}
#: Methods of lists, dicts and sets with an effect on the tracked elements.
_ADD_ARG = {"append", "add", "insert", "setdefault", "appendleft"}
_ADD_ELEMENTS = {"extend", "update", "extendleft"}
_GET_ELEMENT = {"pop", "get", "setdefault", "popitem", "popleft", "__getitem__"}
_SAME = {"copy", "values"}
_MOVES = {"insert", "reverse", "sort", "pop", "remove", "appendleft", "extendleft", "rotate"}
#: Methods of lists, dicts and sets that are bound to the container they are read from.
_TRACKED_METHODS = {
    *_ADD_ARG,
    *_ADD_ELEMENTS,
    *_GET_ELEMENT,
    *_SAME,
    "items",
    "sort",
    *_MOVES,
}


def _positional(fn: FunctionInfo, i: int) -> tuple[str, ...]:
    """The variables the ``i``-th positional argument of a call of ``fn`` flows into (the
    receiver of a bound method is argument 0): a parameter, or the ``*args`` tuple."""
    if i < len(fn.params):
        return (fn.params[i],)
    if fn.vararg:
        return (f"l:tuple@{fn.key}:*#{ELEMENTS}", f"l:tuple@{fn.key}:*#<u>")
    return ()


def _keyword(fn: FunctionInfo, name: str) -> tuple[str, ...]:
    """The variables keyword argument ``name`` flows into: a parameter, or ``**kwargs``."""
    for q in (*fn.params, *fn.kwonly):
        if q.rpartition(":")[2] == name:
            return (q,)
    if fn.kwarg:
        return (f"l:dict@{fn.key}:**#{ELEMENTS}", f"l:dict@{fn.key}:**#[{name!r}]")
    return ()


def _c3_merge(seqs: list[list[str]]) -> list[str]:
    """The C3 merge of linearizations (a head is taken when no sequence holds it in its
    tail; tail counts make each step linear). With no consistent order (Python would raise
    ``TypeError``) the rest is taken depth first."""
    seqs = [s for s in seqs if s]
    pos = [0] * len(seqs)
    tails = Counter(h for s in seqs for h in s[1:])
    out: list[str] = []
    live = list(range(len(seqs)))
    while live:
        for i in live:
            head = seqs[i][pos[i]]
            if not tails[head]:
                break
        else:
            have = set(out)
            for i in live:
                for h in seqs[i][pos[i] :]:
                    if h not in have:
                        have.add(h)
                        out.append(h)
            return out
        out.append(head)
        nxt = []
        for i in live:
            s = seqs[i]
            if s[pos[i]] == head:
                pos[i] += 1
                if pos[i] == len(s):
                    continue
                tails[s[pos[i]]] -= 1
            nxt.append(i)
        live = nxt
    return out


def _split(obj: str) -> tuple[str, str]:
    p, _, rest = obj.partition(":")
    return p, rest


class Solver:
    """Solve the constraints of a project's summaries; :attr:`edges` holds the call graph.

    Examples
    --------
    >>> import ast
    >>> from workbench.frontends.python.flows import summarize
    >>> src = "def f():\\n    pass\\n\\ndef run(cb):\\n    cb()\\n\\nrun(f)\\n"
    >>> s = Solver([summarize(ast.parse(src), "app")]).solve()
    >>> sorted((caller, callee) for _, _, caller, callee, kind, _ in s.edges)
    [('app.<module>', 'app.run'), ('app.run', 'app.f')]
    """

    def __init__(self, summaries: Iterable[ModuleSummary]) -> None:
        self.summaries = sorted(summaries, key=lambda s: s.module)
        self.modules = {s.module: s for s in self.summaries}
        self.functions: dict[str, FunctionInfo] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.constraints: list[tuple] = []
        self.origin: list[str] = []  # module of each constraint
        self._offset: dict[str, int] = {}
        self.module_of: dict[str, str] = {}  # module of each function and class key
        for s in self.summaries:
            for f in s.functions:
                self.functions[f.key] = f
                self.module_of[f.key] = s.module
            for c in s.classes:
                self.classes[c.key] = c
                self.module_of[c.key] = s.module
            self._offset[s.module] = len(self.constraints)
            self.constraints.extend(s.constraints)
            self.origin.extend([s.module] * len(s.constraints))
        self.pts: dict[str, set[str]] = {}
        self.readers: dict[str, set[int]] = {}
        self.edges: set[Edge] = set()
        self.truncated: set[str] = set()
        self.resolved_sites: set[tuple[str, Site]] = set()
        self._cur = -1
        self._depth = 0
        self._queued = [True] * len(self.constraints)
        # copy constraints are edges along which objects flow as they arrive
        self._succ: dict[str, list[str]] = {}
        for c in self.constraints:
            if c[0] == "copy":
                self._succ.setdefault(c[2], []).append(c[1])
        self._work: deque[int] = deque(i for i, c in enumerate(self.constraints) if c[0] != "copy")
        for i, c in enumerate(self.constraints):
            if c[0] == "copy":
                self._queued[i] = False
        self._mro: dict[str, list[str]] = {}
        # who depends on an MRO: constraints that read it, classes whose MRO contains it
        self._mro_readers: dict[str, set[int]] = {}
        self._mro_users: dict[str, set[str]] = {}
        self._cut = False  # a cycle of bases was cut in the MRO being computed
        self._base_vars: dict[str, set[str]] = {}  # base variable -> classes it is a base of
        for c in self.classes.values():
            for b in c.bases:
                self._base_vars.setdefault(b, set()).add(c.key)
        self._cells: set[str] = set()
        self._clones: dict[tuple[str, str], str] = {}
        self._clone_count: dict[str, int] = {}
        self._blind: set[int] = set()  # decorate constraints whose decorator has no value
        self._fallbacks: list[int] = []  # fallback constraints (see _seed)
        self._clone_keys: set[str] = set()
        self._within: dict[str, tuple[list[str], list[str]]] | None = None
        self._flows: set[tuple[str, str]] = set()
        self._dynamic: dict[int, list[str]] = {}
        self._seen: dict[int, set[str]] = {}
        self._property_cells: dict[int, list[tuple[str, str]]] = {}

    # -- the points-to sets ------------------------------------------------------------
    def get(self, var: str | None) -> set[str]:
        """The objects of a variable; the constraint being evaluated now depends on it."""
        if var is None:
            return set()
        r = self.readers.get(var)
        if r is None:
            r = self.readers[var] = set()
        r.add(self._cur)
        return self.pts.get(var) or set()

    def add(self, var: str, objs: Iterable[str]) -> None:
        """Add objects to a variable; what is new flows on along the copy edges out of it
        (difference propagation), and the constraints that read it are queued again."""
        pts, succ, readers = self.pts, self._succ, self.readers
        queued, work = self._queued, self._work
        stack = [(var, objs)]
        while stack:
            v, o = stack.pop()
            s = pts.get(v)
            if s is None:
                s = pts[v] = set()
            if len(s) >= MAX_OBJECTS:  # full: nothing more gets in
                if v not in self.truncated and not s.issuperset(o):
                    self.truncated.add(v)
                continue
            new = set(o).difference(s)
            if not new:
                continue
            if len(s) + len(new) > MAX_OBJECTS:  # widening: the variable stops growing
                self.truncated.add(v)
                new = set(sorted(new)[: MAX_OBJECTS - len(s)])
                if not new:
                    continue
            s |= new
            owners = self._base_vars.get(v)
            if owners:
                self._invalidate_mro(owners)
            for r in readers.get(v, ()):
                if r >= 0 and not queued[r]:
                    queued[r] = True
                    work.append(r)
            for d in succ.get(v, ()):
                stack.append((d, new))

    def solve(self) -> Solver:
        """Run to the fixpoint; returns self."""
        while True:
            self._run()
            if not self._seed():
                return self

    def _run(self) -> None:
        work, queued, cons = self._work, self._queued, self.constraints
        while work:
            cid = work.popleft()
            queued[cid] = False
            self._cur = cid
            c = cons[cid]
            getattr(self, "_c_" + c[0])(c, self.origin[cid])
        self._cur = -1

    def _seed(self) -> bool:
        """At a fixpoint, assume what nothing told: unknown decorators return their function;
        then, the first parameter of each method that no call reaches with a receiver gets
        an instance of its class (the class, for a classmethod), so that ``self.m()``
        resolves in methods the project never calls; then, assignments of values nothing is
        known of get the name's other values. One kind per round (each may make the next
        unnecessary); whether anything was given."""
        # a decorator no value reaches: assume it returns what it decorates (only now, when
        # nothing more is known: an import resolved late must not leave the bare function);
        # before the receivers below, which a decorated method may not have
        seeded = False
        for cid in sorted(self._blind):
            _, dst, callee, value, *_ = self.constraints[cid]
            objs = self.pts.get(value)
            if not self.pts.get(callee) and objs and not objs <= self.pts.get(dst, set()):
                self.add(dst, objs)
                seeded = True
        self._blind.clear()
        if seeded:
            return True
        for key in sorted(self.functions):
            f = self.functions[key]
            if f.klass is None or not f.params or "staticmethod" in f.decorators:
                continue
            if self.pts.get(f.params[0]):
                continue
            kind = "c" if "classmethod" in f.decorators else "i"
            self.add(f.params[0], [f"{kind}:{f.klass}"])
            seeded = True
        if seeded:
            return True
        # an assignment whose value (or one of whose alternatives) nothing is known of: any
        # value of the name (the flow-insensitive answer)
        for cid in self._fallbacks:
            _, own, var, *parts = self.constraints[cid]
            unknown = not self.pts.get(own) or any(not self.pts.get(p) for p in parts)
            objs = self.pts.get(var)
            if unknown and objs and not objs <= self.pts.get(own, set()):
                self.add(own, objs)
                seeded = True
        return seeded

    def _c_fallback(self, c: tuple, mod: str) -> None:
        self._fallbacks.append(self._cur)  # looked at in _seed, once nothing else moves

    # -- constraints -------------------------------------------------------------------
    def _c_obj(self, c: tuple, mod: str) -> None:
        self.add(c[1], (c[2],))

    def _c_edge(self, c: tuple, mod: str) -> None:
        _, caller, callee, site, kind, key = c
        self._edge(mod, site, caller, callee, kind, key)

    def _c_module(self, c: tuple, mod: str) -> None:
        self.add(c[1], (self._module_obj(c[2]),))

    def _module_obj(self, name: str) -> str:
        return f"m:{name}" if name in self.modules else f"x:{name}"

    def _c_import(self, c: tuple, mod: str) -> None:
        caller, dotted, site = c[1], c[2], c[3]
        if len(c) > 4:  # from base import name: runs base.name when it is a module
            if dotted in self.modules:
                self._edge(mod, site, caller, f"{dotted}.<module>", "module-body", dotted)
            return
        parts = dotted.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            # the packages holding the importing module have run already
            if name in self.modules and name != mod and not mod.startswith(name + "."):
                self._edge(mod, site, caller, f"{name}.<module>", "module-body", name)

    def _member(self, module: str, name: str) -> set[str]:
        """What ``module.name`` holds: the module's global, or its submodule."""
        objs = set(self.get(f"{module}:{name}"))
        if f"{module}.{name}" in self.modules:
            objs.add(f"m:{module}.{name}")
        return objs

    def _c_from(self, c: tuple, mod: str) -> None:
        _, dst, base, name = c
        if base in self.modules:
            self.add(dst, self._member(base, name))
        else:
            self.add(dst, (f"x:{base}.{name}",))

    def _c_star(self, c: tuple, mod: str) -> None:
        _, into, base = c
        if base not in self.modules:
            return
        for name in self.exports(base):
            self.add(f"{into}:{name}", self._member(base, name))

    def exports(self, module: str, seen: frozenset[str] = frozenset()) -> list[str]:
        """The names ``from module import *`` binds: ``__all__``, else the public names,
        including those the module itself star-imports."""
        summary = self.modules[module]
        if summary.explicit_all or module in seen:
            return summary.exports
        names = set(summary.exports)
        for base in summary.star_imports:
            if base in self.modules:
                names.update(n for n in self.exports(base, seen | {module}) if n[:1] != "_")
        return sorted(names)

    def _c_load(self, c: tuple, mod: str) -> None:
        """``dst = obj.attr``: each receiver object is looked at once; what its attribute
        holds (a *cell*, kept up to date by a constraint of its own) flows on to ``dst``."""
        _, dst, obj, attr, site, caller, path = c
        cid = self._cur
        seen = self._seen.setdefault(cid, set())
        for o in sorted(self.get(obj) - seen):
            seen.add(o)
            if not path and o[:2] == "x:":  # outside values met elsewhere are not followed
                continue
            cell = self._cell(o, attr)
            self._flow(cell, dst)
            if o[:2] == "i:":
                self._property_cells.setdefault(cid, []).append((o, f"{cell}!p"))
        at = (mod, site, caller)
        for o, props in self._property_cells.get(cid, ()):
            for pr in sorted(self.get(props)):
                for getter in sorted(self.get(f"{pr}#fget")):
                    self.add(dst, self._call(getter, [{o}], {}, (), (), at, "property"))

    def _cell(self, o: str, attr: str) -> str:
        """The variable holding ``o.attr`` (properties apart, in ``<cell>!p``)."""
        cell = f"@{o}.{attr}"
        if cell not in self._cells:
            self._cells.add(cell)
            cid = len(self.constraints)
            self.constraints.append(("cell", cell, o, attr))
            self.origin.append("")
            self._queued.append(False)
            cur, self._cur = self._cur, cid
            try:
                self._c_cell(self.constraints[cid], "")
            finally:
                self._cur = cur
        return cell

    def _c_cell(self, c: tuple, mod: str) -> None:
        _, cell, o, attr = c
        objs = self._attr(o, attr, None)
        props = {v for v in objs if v.startswith("pr:")}
        if props:
            self.add(f"{cell}!p", props)
            objs -= props
        self.add(cell, objs)

    def _c_store(self, c: tuple, mod: str) -> None:
        _, obj, attr, value, site, caller = c
        values = self.get(value)
        for o in sorted(self.get(obj)):
            self._store(o, attr, values, (mod, site, caller))

    def _store(self, o: str, attr: str, values: set[str], at: tuple) -> None:
        """``o.attr = values``: an instance's attribute (or its property's setter), a class's
        or a module's."""
        p, rest = _split(o)
        if p == "i":
            props = self._props(rest, attr)
            for pr in props:
                for setter in sorted(self.get(f"{pr}#fset")):
                    self._call(setter, [{o}, values], {}, (), (), at, "property")
            if not props:
                self.add(f"{o}#{attr}", values)
        elif p == "c" or p == "m":
            self.add(f"{rest}:{attr}", values)

    def _c_delattr(self, c: tuple, mod: str) -> None:
        _, obj, attr, site, caller = c
        for o in sorted(self.get(obj)):
            p, rest = _split(o)
            if p == "i":
                for pr in self._props(rest, attr):
                    for d in sorted(self.get(f"{pr}#fdel")):
                        self._call(d, [{o}], {}, (), (), (mod, site, caller), "property")

    # Containers: ``#<e>`` holds every element, ``#[k]`` those stored under a constant key or
    # index (``d["k"] = f``, ``[f, g]``), ``#<u>`` those stored otherwise; a read by constant
    # key takes ``[k]`` and ``<u>``, unless ``#<moved>`` says elements changed places.
    def _put(self, o: str, values: set[str], key: str | None = None) -> None:
        if values:
            self.add(f"{o}#{ELEMENTS}", values)
            self.add(f"{o}#[{key}]" if key is not None else f"{o}#<u>", values)

    def _take(self, o: str, key: str | None = None) -> set[str]:
        if key is None or o[0] == "g" or self.get(f"{o}#<moved>"):
            return self.get(f"{o}#{ELEMENTS}")
        return self.get(f"{o}#[{key}]") | self.get(f"{o}#<u>")

    def _c_setitem(self, c: tuple, mod: str) -> None:
        _, obj, value, site, caller, key = c
        values = self.get(value)
        for o in sorted(self.get(obj)):
            p, rest = _split(o)
            if p == "l":
                self._put(o, values, key)
            elif p == "i" and site is not None:
                self._dunder(o, rest, "__setitem__", [set(), values], (mod, site, caller))

    def _c_delitem(self, c: tuple, mod: str) -> None:
        _, obj, site, caller = c
        for o in sorted(self.get(obj)):
            p, rest = _split(o)
            if p == "i":
                self._dunder(o, rest, "__delitem__", [set()], (mod, site, caller))
            elif p == "l":
                self.add(f"{o}#<moved>", ("moved",))

    def _c_getitem(self, c: tuple, mod: str) -> None:
        _, dst, obj, site, caller, key = c
        out: set[str] = set()
        for o in sorted(self.get(obj)):
            p, rest = _split(o)
            if p == "l" or p == "g":
                out |= self._take(o, key)
            elif p == "i":
                out |= self._dunder(o, rest, "__getitem__", [set()], (mod, site, caller))
            elif p == "xi" and rest in ("builtins.str", "builtins.bytes"):
                out.add(o)
        self.add(dst, out)

    def _c_slice(self, c: tuple, mod: str) -> None:
        _, dst, obj, box = c
        out: set[str] = set()
        for o in sorted(self.get(obj)):
            if o.startswith("l:"):
                self._put(box, self.get(f"{o}#{ELEMENTS}"))
                out.add(box)
            elif o.startswith("xi:"):
                out.add(o)
        self.add(dst, out)

    def _c_elem(self, c: tuple, mod: str) -> None:
        out: set[str] = set()
        for o in self.get(c[2]):
            if o[0] in "lg" and o[1] == ":":
                out |= self._take(o, c[3])
        self.add(c[1], out)

    def _c_await(self, c: tuple, mod: str) -> None:
        _, dst, obj, site, caller = c
        out: set[str] = set()
        for o in sorted(self.get(obj)):
            p, rest = _split(o)
            if p == "i":
                self._dunder(o, rest, "__await__", [], (mod, site, caller))
                for f in self._lookup(rest, "__await__"):
                    if f.startswith("f:"):
                        out |= self.get(f"{f[2:]}:{RETURN}")
            else:  # a coroutine's value is what the async function returns
                out.add(o)
        self.add(dst, out)

    def _c_unary(self, c: tuple, mod: str) -> None:
        _, dst, obj, name, site, caller = c
        out: set[str] = set()
        for o in sorted(self.get(obj)):
            p, rest = _split(o)
            if p == "i":
                out |= self._dunder(o, rest, name, [], (mod, site, caller))
            elif p == "xi":
                out.add(o)
        self.add(dst, out)

    def _c_truth(self, c: tuple, mod: str) -> None:
        _, obj, site, caller = c
        for o in sorted(self.get(obj)):
            p, rest = _split(o)
            if p == "i":
                name = "__bool__" if self._has(rest, "__bool__") else "__len__"
                self._dunder(o, rest, name, [], (mod, site, caller))

    def _c_iter(self, c: tuple, mod: str) -> None:
        _, dst, obj, site, caller, is_async = c
        at = (mod, site, caller)
        self.add(dst, self._iterate(self.get(obj), at, is_async))

    def _iterate(self, objs: set[str], at: tuple, is_async: bool = False) -> set[str]:
        out: set[str] = set()
        first, second = ("__aiter__", "__anext__") if is_async else ("__iter__", "__next__")
        for o in sorted(objs):
            p, rest = _split(o)
            if p in ("l", "g"):
                out |= self.get(f"{o}#{ELEMENTS}")
            elif p == "i":
                for it in sorted(self._dunder(o, rest, first, [], at)):
                    ip, irest = _split(it)
                    if ip in ("l", "g"):
                        out |= self.get(f"{it}#{ELEMENTS}")
                    elif ip == "i":
                        out |= self._dunder(it, irest, second, [], at)
        return out

    def _c_with(self, c: tuple, mod: str) -> None:
        _, dst, obj, site, caller, is_async = c
        at = (mod, site, caller)
        enter, exit_ = ("__aenter__", "__aexit__") if is_async else ("__enter__", "__exit__")
        out: set[str] = set()
        for o in sorted(self.get(obj)):
            p, rest = _split(o)
            if p == "i":
                out |= self._dunder(o, rest, enter, [], at)
                self._dunder(o, rest, exit_, [set(), set(), set()], at)
            elif p == "g":  # a generator-based context manager (contextlib.contextmanager)
                out |= self.get(f"{o}#{ELEMENTS}")
            elif p in ("xi", "x"):
                out.add(o if p == "xi" else f"xi:{rest}")
        self.add(dst, out)

    def _c_binop(self, c: tuple, mod: str) -> None:
        _, dst, left, right, op, inplace, site, caller = c
        at = (mod, site, caller)
        lefts, rights = self.get(left), self.get(right)
        out: set[str] = set()
        reflected = False
        right_elements: set[str] | None = None
        for o in sorted(lefts):
            if o.startswith("i:") and op:
                key = o[2:]
                name = f"__i{op}__" if inplace and self._has(key, f"__i{op}__") else f"__{op}__"
                if self._has(key, name):
                    out |= self._dunder(o, key, name, [rights], at)
                    continue
            elif o.startswith("l:"):  # list + list, list += iterable: one container
                out.add(o)
                if right_elements is None:
                    right_elements = set()
                    for r in rights:
                        if r.startswith("l:"):
                            right_elements |= self.get(f"{r}#{ELEMENTS}")
                self._put(o, right_elements)
                continue
            elif o.startswith("xi:") and o[3:] in _SCALARS:
                out.add(o)
            reflected = True
        if (reflected or not lefts) and op:  # the reflected method of the right operand
            for r in sorted(rights):
                if r.startswith("i:"):
                    out |= self._dunder(r, r[2:], f"__r{op}__", [lefts], at)
        if inplace and not lefts:
            out |= {r for r in rights if r.startswith("l:")}
        self.add(dst, out)

    def _c_compare(self, c: tuple, mod: str) -> None:
        _, recv, arg, name, site, caller = c
        args = self.get(arg)
        for o in sorted(self.get(recv)):
            p, rest = _split(o)
            if p == "i":
                self._dunder(o, rest, name, [args], (mod, site, caller))

    def _c_raise(self, c: tuple, mod: str) -> None:
        _, exc, site, caller = c
        for o in sorted(self.get(exc)):
            if o.startswith("c:"):
                self._call(o, [], {}, (), (), (mod, site, caller), "protocol")

    def _c_instance(self, c: tuple, mod: str) -> None:
        out = set()
        for o in self.get(c[2]):
            p, rest = _split(o)
            if p == "c":
                out.add(f"i:{rest}")
            elif p == "l":  # except (A, B) as e
                out |= {f"i:{e[2:]}" for e in self.get(f"{o}#{ELEMENTS}") if e.startswith("c:")}
        self.add(c[1], out)

    def _c_super(self, c: tuple, mod: str) -> None:
        _, dst, klass, self_var = c
        self.add(dst, {f"s:{klass}|{r}" for r in self.get(self_var) if r[:2] in ("i:", "c:")})

    def _c_decorate(self, c: tuple, mod: str) -> None:
        _, dst, callee, value, site, caller = c
        at = (mod, site, caller)
        values = self.get(value)
        out: set[str] = set()
        callees = self.get(callee)
        for o in sorted(callees):
            p, rest = _split(o)
            if p == "x":
                self._edge(mod, site, caller, rest, "decorator", None)
                out |= self._decorate_external(rest, values)
            elif p == "ps":
                prop, _, which = rest.partition("|")
                method = {"fget": "getter", "fset": "setter", "fdel": "deleter"}[which]
                self._edge(mod, site, caller, f"builtins.property.{method}", "decorator", None)
                self.add(f"pr:{prop}#{which}", values)
                out.add(f"pr:{prop}")
            else:
                if p in ("f", "c") and self._clonable(rest):  # a wrapper of its own per use
                    o = f"{p}:" + self._clone(rest, f"{mod}:{site[1]}:{site[2]}")
                out |= self._call(o, [values], {}, (), (), at, "decorator")
        if not callees:  # unknown so far: see _seed
            self._blind.add(self._cur)
        self.add(dst, out)

    # -- decorators get a copy of their body per decorated definition ------------------
    # A decorator returns a wrapper closure; with one copy of the decorator, the wrapper of
    # every function it decorates would be the same object and call all of them. So each
    # application of a project decorator that defines functions analyses a copy of its
    # body (one level of call-site sensitivity, for decorators only).
    def _clonable(self, key: str) -> bool:
        """Whether a decorator gets a copy per use: a project function that defines
        functions, or a project class that defines ``__call__`` (its instance is the
        wrapper), not itself a copy, with a body of at most ``MAX_CLONE_SIZE`` constraints,
        and fewer than ``MAX_CLONES`` copies made so far (past that, uses share the
        original)."""
        info = self.functions.get(key) or self.classes.get(key)
        if info is None or info.span[1] - info.span[0] > MAX_CLONE_SIZE:
            return False
        if self._clone_count.get(key, 0) >= MAX_CLONES or key in self._clone_keys:
            return False
        if key in self.classes:
            return f"{key}.__call__" in self.functions
        return any(k.startswith(f"{key}.<locals>.") for k in self._inside(key)[0])

    def _inside(self, key: str) -> tuple[list[str], list[str]]:
        """Keys of the functions and classes defined (at any depth) inside function or
        class ``key`` (of the project as summarised: copies are not in it)."""
        if self._within is None:
            self._within = {}
            for table, i in ((self.functions, 0), (self.classes, 1)):
                for k in table:
                    at = k.find(".")
                    while at >= 0:
                        self._within.setdefault(k[:at], ([], []))[i].append(k)
                        at = k.find(".", at + 1)
        return self._within.get(key, ([], []))

    def _clone(self, key: str, tag: str) -> str:
        """The key of the copy of function or class ``key`` (and what it defines) for
        ``tag``."""
        hit = self._clones.get((key, tag))
        if hit is not None:
            return hit
        info = self.functions.get(key) or self.classes[key]
        is_class = key in self.classes
        mod = self.module_of[key]
        new = f"{key}@{tag}"
        self._clones[(key, tag)] = new
        self._clone_count[key] = self._clone_count.get(key, 0) + 1
        temps = f"{mod}:$"
        # what belongs to the copy: its variables, and what it defines (methods of a class)
        inner = (f"{key}:", f"{key}." if is_class else f"{key}.<locals>.")
        prefixes = (*inner, f"{key}@")
        own = ("g", "c", "i") if is_class else ("g",)
        functions, classes = self._inside(key)
        base = self._offset[mod]
        lo, hi = info.span
        # a class body runs once: what it makes (``entries = []``) is the one object every
        # copy shares; its methods' containers are made per copy
        shared: set[str] = set()
        if is_class:
            methods = [self.functions[k].span for k in functions if self.functions[k].klass == key]
            for i in range(lo, hi):
                c = self.constraints[base + i]
                if (
                    c[0] == "obj"
                    and c[2].startswith("l:")
                    and not any(a <= i < b for a, b in methods)
                ):
                    shared.add(c[2])
        if not is_class:
            functions = [k for k in functions if k.startswith(f"{key}.<locals>.")]
            classes = [k for k in classes if k.startswith(f"{key}.<locals>.")]

        def rename(x):
            if isinstance(x, str):
                head, sep, tail = x.partition("#")
                p, colon, rest = head.partition(":")
                if p == "l" and colon:  # a container: made at a site, or *args/**kwargs
                    if head in shared:
                        return x
                    kind, _, where = rest.partition("@")
                    if where.startswith(inner):
                        return f"l:{kind}@{new}{where[len(key) :]}{sep}{tail}"
                    if where.startswith(f"{mod}:"):
                        return f"{head}@{tag}{sep}{tail}"
                if head.startswith(temps):
                    return f"{head}@{tag}{sep}{tail}"
                if head.endswith(".<body>"):  # a class body's calls: reported as the original's
                    return x
                for prefix in prefixes:
                    if head.startswith(prefix):
                        return f"{new}{head[len(key) :]}{sep}{tail}"
                    if colon and rest.startswith(prefix) and p in ("f", "g", "c", "i"):
                        return f"{p}:{new}{rest[len(key) :]}{sep}{tail}"
                if colon and rest == key and p in own:
                    return f"{p}:{new}{sep}{tail}"
                if head == key and is_class:  # the class of its methods
                    return new
                return x
            if isinstance(x, tuple):
                return tuple(rename(y) for y in x)
            if isinstance(x, dict):
                return {k: rename(v) for k, v in x.items()}
            return x

        for k in functions if is_class else [key, *functions]:
            f = self.functions[k]
            copy = FunctionInfo(
                key=rename(k) if k != key else new,
                name=f.name,
                line=f.line,
                params=[rename(q) for q in f.params],
                kwonly=[rename(q) for q in f.kwonly],
                vararg=rename(f.vararg),
                kwarg=rename(f.kwarg),
                generator=f.generator,
                klass=rename(f.klass),
                decorators=f.decorators,
                span=(0, 0),
                col=f.col,
            )
            self.functions[copy.key] = copy
            self.module_of[copy.key] = mod
            self._clone_keys.add(copy.key)
        for ck in [key, *classes] if is_class else classes:
            ci = self.classes[ck]
            # the copied class's own bases are evaluated before its body: not copied
            bases = list(ci.bases) if ck == key else [rename(b) for b in ci.bases]
            self.classes[rename(ck)] = ClassInfo(
                rename(ck), ci.name, ci.line, bases, ci.decorators, ci.fields, ci.col
            )
            self.module_of[rename(ck)] = mod
            self._clone_keys.add(rename(ck))
            for b in bases:
                self._base_vars.setdefault(b, set()).add(rename(ck))
        for c in self.constraints[base + lo : base + hi]:
            c2 = rename(c)
            cid = len(self.constraints)
            self.constraints.append(c2)
            self.origin.append(mod)
            if c2[0] == "copy":
                self._queued.append(False)
                self._flow(c2[2], c2[1])
            else:
                self._queued.append(True)
                self._work.append(cid)
        return new

    def _decorate_external(self, name: str, values: set[str]) -> set[str]:
        if name in ("builtins.property", "functools.cached_property"):
            out = set()
            for v in sorted(values):
                if v.startswith("f:"):
                    self.add(f"pr:{v[2:]}#fget", (v,))
                    out.add(f"pr:{v[2:]}")
            return out
        if name == "builtins.staticmethod":
            return {f"sm:{v[2:]}" if v.startswith("f:") else v for v in values}
        if name == "builtins.classmethod":
            return {f"cm:{v[2:]}" if v.startswith("f:") else v for v in values}
        return set(values)

    def _c_call(self, c: tuple, mod: str) -> None:
        """A call expression. A callee that is a function (or bound method) is looked at once:
        arguments flow to its parameters and its return values to ``dst`` along copy edges.
        Other callees (classes, outside callables, ...) are called again whenever an
        argument grows."""
        _, dst, callee, args, kwargs, star, dstar, site, caller, strings, _ = c
        cid = self._cur
        at = (mod, site, caller)
        seen = self._seen.setdefault(cid, set())
        dynamic = self._dynamic.setdefault(cid, [])
        for o in sorted(self.get(callee) - seen):
            seen.add(o)
            if not star and not dstar and o[:2] in ("f:", "b:"):
                self._link_call(o, args, kwargs, dst, at)
            else:
                dynamic.append(o)
        if not dynamic:
            return
        argv = [self.get(a) for a in args]
        kw = {k: self.get(v) for k, v in kwargs.items()}
        stars = [self.get(s) for s in star]
        dstars = [self.get(s) for s in dstar]
        out: set[str] = set()
        for o in dynamic:
            out |= self._call(o, argv, kw, stars, dstars, at, "call", strings)
        self.add(dst, out)

    def _flow(self, src: str, dst: str) -> None:
        """A copy edge ``src -> dst`` from now on (and what ``src`` holds now)."""
        if (src, dst) not in self._flows:
            self._flows.add((src, dst))
            self._succ.setdefault(src, []).append(dst)
            have = self.pts.get(src)
            if have:
                self.add(dst, have)

    def _link_call(self, o: str, args: tuple, kwargs: dict, dst: str, at: tuple) -> None:
        """Call function (or bound method) ``o`` with argument variables: copy edges."""
        p, rest = _split(o)
        key, _, recv = rest.partition("|")
        fn = self.functions.get(key)
        if fn is None:
            return
        mod, site, caller = at
        self._edge(mod, site, caller, fn.name, "call", fn.key)
        offset = 0
        if p == "b":
            offset = 1
            for t in _positional(fn, 0):
                self.add(t, (recv,))
        for i, v in enumerate(args, offset):
            for t in _positional(fn, i) if v is not None else ():
                self._flow(v, t)
        for k, v in kwargs.items():
            for t in _keyword(fn, k) if v is not None else ():
                self._flow(v, t)
        if fn.generator:
            self.add(dst, (f"g:{fn.key}",))
        else:
            self._flow(f"{fn.key}:{RETURN}", dst)

    # -- calls -------------------------------------------------------------------------
    def _edge(self, mod: str, site: Site, caller: str, callee: str, kind: str, key: str | None):
        self.edges.add((mod, site, caller, callee, kind, key))
        if kind == "call":
            self.resolved_sites.add((mod, site))

    def _call(
        self,
        o: str,
        args: list[set[str]],
        kwargs: dict[str, set[str]],
        star: Iterable[set[str]],
        dstar: Iterable[set[str]],
        at: tuple,
        kind: str,
        strings: tuple = (),
    ) -> set[str]:
        """Call object ``o``; the objects it returns."""
        if self._depth > 4:  # higher-order calls of higher-order functions: map(map, ...)
            return set()
        self._depth += 1
        try:
            mod, site, caller = at
            p, rest = _split(o)
            if p == "f" or p == "b":  # a function, or a method bound to ``|receiver``
                key, _, recv = rest.partition("|")
                fn = self.functions.get(key)
                if fn is None:
                    return set()
                self._edge(mod, site, caller, fn.name, kind, fn.key)
                return self._bind(fn, recv or None, args, kwargs, star, dstar)
            if p == "c":
                return self._instantiate(rest, args, kwargs, star, dstar, at, kind)
            if p == "i":
                return self._dunder(o, rest, "__call__", args, at, kwargs, kind)
            if p in ("sm", "cm"):
                return self._call(f"f:{rest}", args, kwargs, star, dstar, at, kind)
            if p == "p":
                out: set[str] = set()
                for f in sorted(self.get(f"{o}#fn")):
                    out |= self._call(f, args, kwargs, star, dstar, at, kind)
                return out
            if p == "x":
                self._edge(mod, site, caller, rest, kind, None)
                return self._external_call(rest, None, args, kwargs, at, strings)
            if p == "xb":
                name, _, recv = rest.partition("|")
                self._edge(mod, site, caller, name, kind, None)
                return self._external_call(name, recv, args, kwargs, at, strings)
            return set()
        finally:
            self._depth -= 1

    def _bind(
        self,
        fn: FunctionInfo,
        recv: str | None,
        args: list[set[str]],
        kwargs: dict[str, set[str]],
        star: Iterable[set[str]],
        dstar: Iterable[set[str]],
    ) -> set[str]:
        params = fn.params
        pos: list[set[str]] = ([{recv}] if recv is not None else []) + list(args)
        for i, a in enumerate(pos):
            for t in _positional(fn, i):
                self.add(t, a)
        spread: set[str] = set()
        for s in star:
            for o in s:
                if o[0] in "lg" and o[1] == ":":
                    spread |= self.get(f"{o}#{ELEMENTS}")
        for d in dstar:
            for o in d:
                if o.startswith("l:"):
                    spread |= self.get(f"{o}#{ELEMENTS}")
        if spread:
            for p in params[len(pos) :] + fn.kwonly:
                self.add(p, spread)
            if fn.vararg:
                self._put(f"l:tuple@{fn.key}:*", spread)
        for k, v in kwargs.items():
            for t in _keyword(fn, k):
                self.add(t, v)
        if fn.generator:
            return {f"g:{fn.key}"}
        return set(self.get(f"{fn.key}:{RETURN}"))

    def _instantiate(self, key, args, kwargs, star, dstar, at, kind) -> set[str]:
        inst = f"i:{key}"
        if kind == "call":  # resolved even when no class of the MRO defines __init__
            self.resolved_sites.add((at[0], at[1]))
        self._dunder(inst, key, "__init__", args, at, kwargs, kind, star, dstar)
        if any("dataclass" in d for d in self.classes[key].decorators):
            self._dataclass_init(key, inst, args, kwargs)
            self._dunder(inst, key, "__post_init__", [], at, kind="protocol")
        return {inst}

    def _dataclass_init(self, key, inst, args, kwargs) -> None:
        """The generated ``__init__`` of a dataclass: arguments become the fields (those of
        the bases first)."""
        names: list[str] = []
        for k in reversed(self.mro(key)):
            info = self.classes.get(k[2:]) if k.startswith("c:") else None
            if info is not None:
                names.extend(f for f in info.fields if f not in names)
        for name, values in zip(names, args, strict=False):
            self.add(f"{inst}#{name}", values)
        for name, values in kwargs.items():
            if name in names:
                self.add(f"{inst}#{name}", values)

    def _dunder(
        self,
        inst: str,
        key: str,
        name: str,
        args: list[set[str]],
        at: tuple,
        kwargs: dict[str, set[str]] | None = None,
        kind: str = "protocol",
        star: Iterable[set[str]] = (),
        dstar: Iterable[set[str]] = (),
    ) -> set[str]:
        """Call the special method ``name`` of an instance of class ``key``."""
        out: set[str] = set()
        mod, site, caller = at
        for o in sorted(self._lookup(key, name)):
            p, rest = _split(o)
            if p == "f":
                fn = self.functions.get(rest)
                if fn is not None:
                    self._edge(mod, site, caller, fn.name, kind, fn.key)
                    out |= self._bind(fn, inst, args, kwargs or {}, star, dstar)
            elif p == "x" and not rest.startswith("builtins.object."):
                self._edge(mod, site, caller, rest, kind, None)
        return out

    def _has(self, key: str, name: str) -> bool:
        return any(o.startswith("f:") for o in self._lookup(key, name))

    # -- classes -----------------------------------------------------------------------
    def mro(self, key: str) -> list[str]:
        """The method resolution order of a class: ``c:`` project classes, ``x:`` outside
        bases (where the search ends).

        Cached per class; when a variable holding a base of a class grows, the MROs that
        contain that class are dropped and the constraints that used them evaluated again.
        """
        if self._cur >= 0:
            self._mro_readers.setdefault(key, set()).add(self._cur)
        hit = self._mro.get(key)
        if hit is None:
            cur, self._cur = self._cur, -1  # base reads are tracked through _base_vars
            try:
                hit = self._linearize(key, ())
            finally:
                self._cur = cur
        return hit

    def _invalidate_mro(self, classes: Iterable[str]) -> None:
        """Drop the cached MROs of ``classes`` and of every class whose MRO holds one."""
        stack = list(classes)
        done: set[str] = set()
        queued, work = self._queued, self._work
        while stack:
            k = stack.pop()
            if k in done:
                continue
            done.add(k)
            self._mro.pop(k, None)
            for r in self._mro_readers.get(k, ()):
                if not queued[r]:
                    queued[r] = True
                    work.append(r)
            stack.extend(self._mro_users.pop(k, ()))

    def _linearize(self, key: str, seen: tuple[str, ...]) -> list[str]:
        """C3 linearization, each base's own MRO taken from (and put in) the cache.

        Imprecise bases can make a cycle (a class among its own bases): the class in
        ``seen`` counts as having no bases there, and the order of a class whose computation
        cut a cycle ends with every class its bases reach that it does not hold yet (so the
        classes it holds do not depend on where the computation started).
        """
        hit = self._mro.get(key)
        if hit is not None:
            return hit
        info = self.classes.get(key)
        me = f"c:{key}"
        if info is None:
            return [me]
        if key in seen:
            self._cut = True
            return [me]
        cut_before, self._cut = self._cut, False
        seqs: list[list[str]] = []
        bases: list[str] = []
        for b in info.bases:
            for o in sorted(self.get(b)):
                p, rest = _split(o)
                if p == "c" and rest != key:
                    bases.append(o)
                    order = self._linearize(rest, (*seen, key))
                    seqs.append([h for h in order if h != me])
                elif p == "x" and rest != "builtins.object":
                    bases.append(o)
                    seqs.append([o])
        seqs.append(bases)
        out = [me, *_c3_merge(seqs)]
        if self._cut:  # a cycle was cut below this class
            out.extend(self._reachable(key, set(out)))
        self._mro[key] = out
        for o in out[1:]:
            if o.startswith("c:"):
                self._mro_users.setdefault(o[2:], set()).add(key)
        self._cut = self._cut or cut_before
        return out

    def _reachable(self, key: str, have: set[str]) -> list[str]:
        """The classes (``c:``, ``x:``) the bases of ``key`` reach, depth first, but those in
        ``have``."""
        out: list[str] = []
        stack = [key]
        done = {key}
        while stack:
            info = self.classes.get(stack.pop())
            for b in info.bases if info is not None else ():
                for o in sorted(self.get(b), reverse=True):
                    p, rest = _split(o)
                    if p == "c":
                        if rest not in done:
                            done.add(rest)
                            stack.append(rest)
                    elif p != "x" or rest == "builtins.object":
                        continue
                    if o not in have:
                        have.add(o)
                        out.append(o)
        return out

    def _lookup(self, key: str, attr: str, after: str | None = None) -> set[str]:
        """The class attribute ``attr`` of class ``key`` (first found in the MRO, after
        class ``after`` for ``super()``): the objects of its variable, or ``x:`` names."""
        order = self.mro(key)
        if after is not None:
            try:
                order = order[order.index(f"c:{after}") + 1 :]
            except ValueError:
                return set()
        for k in order:
            p, rest = _split(k)
            if p == "c":
                objs = self.get(f"{rest}:{attr}")
                if objs:
                    return objs
            else:
                name = f"{rest}.{attr}"
                return {f"x:{name}"} if name.count(".") <= _MAX_DOTS else set()
        return set()

    def _props(self, key: str, attr: str) -> list[str]:
        return sorted(o for o in self._lookup(key, attr) if o.startswith("pr:"))

    def _attr(self, o: str, attr: str, at: tuple | None) -> set[str]:
        """The objects of ``o.attr``; a property's getter is called from ``at``, or the
        property object returned when ``at`` is None."""
        p, rest = _split(o)
        if p == "m":
            return self._member(rest, attr)
        if p == "c":
            return {self._bound(v, o, rest, cls_access=True) for v in self._lookup(rest, attr)}
        if p == "i":
            out = set(self.get(f"{o}#{attr}"))
            for v in sorted(self._lookup(rest, attr)):
                if v.startswith("pr:") and at is None:
                    out.add(v)
                elif v.startswith("pr:"):
                    for getter in sorted(self.get(f"{v}#fget")):
                        out |= self._call(getter, [{o}], {}, (), (), at, "property")
                else:
                    out.add(self._bound(v, o, rest))
            return out
        if p == "s":
            klass, _, recv = rest.partition("|")
            rp, rrest = _split(recv)
            out = set()
            for v in self._lookup(rrest, attr, after=klass):
                out.add(self._bound(v, recv, rrest, cls_access=rp == "c"))
            return out
        if p == "x":
            name = f"{rest}.{attr}"
            return {f"x:{name}"} if name.count(".") <= _MAX_DOTS else set()
        if p == "xi":
            return {f"x:{rest}.{attr}"}
        if p == "l":
            kind = rest.partition("@")[0]
            kind = {"genexp": "generator"}.get(kind, kind)
            if attr in _TRACKED_METHODS:  # bound to this container: it moves elements
                return {f"xb:builtins.{kind}.{attr}|{o}"}
            return {f"x:builtins.{kind}.{attr}"}
        if p == "pr" and attr in ("setter", "deleter", "getter"):
            return {f"ps:{rest}|f{attr[:3]}"}
        if p == "g":
            return {f"x:builtins.generator.{attr}"}
        return set()

    def _bound(self, v: str, recv: str, key: str, cls_access: bool = False) -> str:
        """A class attribute's object as seen through an instance (or the class)."""
        p, rest = _split(v)
        if p == "f":
            return v if cls_access else f"b:{rest}|{recv}"
        if p == "cm":
            return f"b:{rest}|c:{key}" if recv.startswith("i:") else f"b:{rest}|{recv}"
        if p == "sm":
            return f"f:{rest}"
        return v

    # -- outside the project -----------------------------------------------------------
    def _external_call(
        self,
        name: str,
        recv: str | None,
        args: list[set[str]],
        kwargs: dict[str, set[str]],
        at: tuple,
        strings: tuple,
    ) -> set[str]:
        """What calling an outside callable returns, and the calls it makes back."""
        here = f"{at[0]}:{at[1][1]}:{at[1][2]}"  # objects made by this call: one per site

        def elements(objs: set[str]) -> set[str]:
            return self._iterate(objs, at) if objs else set()

        def arg(i: int) -> set[str]:
            return args[i] if i < len(args) else set()

        if recv is not None:  # a method of a tracked list, dict or set
            method = name.rpartition(".")[2]
            out: set[str] = set()
            if method in _MOVES:
                self.add(f"{recv}#<moved>", ("moved",))
            if method in _ADD_ARG and args:
                self._put(recv, args[-1])
            if method in _ADD_ELEMENTS:
                for a in args:
                    self._put(recv, elements(a))
                for v in kwargs.values():
                    self._put(recv, v)
            if method in _GET_ELEMENT:
                out |= self.get(f"{recv}#{ELEMENTS}")
                if method == "get" and len(args) > 1:
                    out |= args[1]
            if method in _SAME:
                out.add(recv)
            if method == "items":
                pair = f"l:tuple@items|{recv}"
                self._put(pair, self.get(f"{recv}#{ELEMENTS}"))
                box = f"l:list@items|{recv}"
                self._put(box, {pair})
                out.add(box)
            if method == "sort" and "key" in kwargs:
                for f in sorted(kwargs["key"]):
                    self._call(f, [self.get(f"{recv}#{ELEMENTS}")], {}, (), (), at, "call")
            return out
        if name in _CONTAINERS:
            kind = name.rpartition(".")[2].replace("frozenset", "set")
            box = f"l:{kind}@{here}"
            if args:
                src = arg(0)
                self._put(box, elements(src) if kind != "dict" else set())
                if kind == "dict":
                    for o in sorted(src):
                        if o.startswith("l:"):
                            self._put(box, self.get(f"{o}#{ELEMENTS}"))
            for v in kwargs.values():
                self._put(box, v)
            return {box}
        if name in _SCALARS:
            return {f"xi:{name}"}
        if name in ("builtins.map", "builtins.filter"):
            box = f"l:list@{here}"
            items = [elements(a) for a in args[1:]]
            for f in sorted(arg(0)):
                res = self._call(f, items or [set()], {}, (), (), at, "call")
                if name == "builtins.map":
                    self._put(box, res)
            if name == "builtins.filter" and items:
                self._put(box, items[0])
            return {box}
        if name in ("builtins.sorted", "builtins.min", "builtins.max", "builtins.reversed"):
            items = set()
            for a in args:
                items |= elements(a)
            for f in sorted(kwargs.get("key", ())):
                self._call(f, [items], {}, (), (), at, "call")
            if name == "builtins.sorted" or name == "builtins.reversed":
                box = f"l:list@{here}"
                self._put(box, items)
                return {box}
            return items
        if name in ("builtins.iter", "builtins.next"):
            return set(arg(0)) if name == "builtins.iter" else elements(arg(0))
        if name in ("builtins.enumerate", "builtins.zip"):
            pair = f"l:tuple@{here}"
            for a in args:
                self._put(pair, elements(a))
            box = f"l:list@{here}"
            self._put(box, {pair})
            return {box}
        if name == "functools.reduce":
            items = elements(arg(1)) | arg(2)
            for f in sorted(arg(0)):
                self._call(f, [items, items], {}, (), (), at, "call")
            return set()
        if name == "functools.partial":
            box = f"p:{here}"
            self.add(f"{box}#fn", arg(0))
            return {box}
        if name in ("builtins.property", "functools.cached_property"):
            box = f"pr:{here}"
            for i, part in enumerate(("fget", "fset", "fdel")):
                self.add(f"{box}#{part}", arg(i) | kwargs.get(part, set()))
            return {box}
        if name in ("builtins.staticmethod", "builtins.classmethod"):
            return self._decorate_external(name, arg(0))
        if name == "builtins.type" and len(args) == 1:
            return {f"c:{o[2:]}" for o in arg(0) if o.startswith("i:")}
        if name in ("builtins.getattr", "builtins.setattr") and len(strings) > 1 and strings[1]:
            attr = strings[1]
            if name == "builtins.setattr":
                for o in sorted(arg(0)):
                    self._store(o, attr, arg(2), at)
                return set()
            out = set()
            for o in sorted(arg(0)):
                out |= self._attr(o, attr, at)
            return out | (arg(2) if len(args) > 2 else set())
        ret = _RETURNS.get(name)
        if ret is not None:
            if ret.startswith("list:"):
                box = f"l:list@{here}"
                self._put(box, {ret[5:]})
                return {box}
            return {ret}
        last = name.rpartition(".")[2]
        if last[:1].isupper() and not last.isupper():  # an outside class: its instance
            return {f"xi:{name}"}
        return set()
