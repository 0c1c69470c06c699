"""Coupling and cohesion: which modules and classes depend on which, and LCOM4.

Modules
    :func:`module_dependencies` lists, for every ordered pair of project modules, why the
    first depends on the second and how often (one row per reason):

    =========== ==================================================================================
    reason      counted
    =========== ==================================================================================
    calls       CALL edges from a call site in A to a method of B (``module-body`` and
                ``class-body`` edges of a saved call graph are imports and class statements,
                not calls), and instantiations of a class of B that has no ``__init__`` (no
                CALL edge: the call's resolved full name is the class's)
    imports     import statements of A that import B (the ``import`` graph of
                :func:`workbench.analysis.graphs.load`: weights summed)
    inheritance classes of A with a base class in B (the ``inheritance`` graph)
    shared_data accesses in A to a module-level variable of B: ``from b import CONFIG``
                (one per imported name), ``b.CONFIG`` and ``b.CONFIG = ...`` through a
                module imported in A (one per access). A module-level variable is a name an
                assignment-like statement of B's body binds (or a function of B declared
                ``global`` and bound) and no ``def``/``class`` of B's body binds.
    =========== ==================================================================================

    :func:`module_coupling` aggregates them per module: afferent coupling ``ca`` (distinct
    modules depending on it), efferent coupling ``ce`` (distinct modules it depends on),
    Martin's instability ``ce / (ca + ce)`` (0.0 for a module that nothing couples, so that
    the column has no NaN) and each reason's count, outgoing and incoming.

Classes
    :func:`class_coupling` gives CBO (Chidamber & Kemerer's coupling between objects): the
    number of other project classes a class is coupled to in either direction, where class
    C uses class D when code in C (its methods, their nested functions, its body) calls a
    method of D or instantiates D, C inherits from D, or C reads or writes an attribute of D
    through a name that resolves to D (``D.limit``, ``models.D.registry`` through an
    import). The classes of other objects (parameters, attributes) are not known to a
    syntactic analysis and are not counted; instances C creates are already counted by the
    instantiation. Also: ``fan_out`` (classes C uses), ``fan_in`` (classes using C), the
    number of methods (functions defined directly in the class body) and WMC (the sum of
    their cyclomatic complexities).

    :func:`lcom4` gives Hitz & Montazeri's LCOM4: the number of connected components of the
    graph whose vertices are a class's methods and whose edges join two methods that use a
    common instance attribute or where one refers to the other through ``self``. Conventions
    (those of the tools below, where the literature leaves a choice):

    - a method is a function defined directly in the class body; functions of the same name
      are one vertex (a property's getter, setter and deleter; ``@overload`` stubs);
    - constructors and destructors (``__init__``, ``__new__``, ``__del__``) are left out:
      they touch every attribute and would join everything (Axivion's OO.LCOM4 and the
      ``lcom`` package do the same);
    - empty and abstract methods are left out: a body of only ``pass``, ``...``, a docstring
      or ``raise NotImplementedError``, or an ``@abstractmethod`` decorator (an interface,
      not an implementation; counting them would make every abstract base class
      incohesive);
    - ``self`` is a method's first parameter; for a ``classmethod`` it is ``cls`` (class
      attributes are attributes too); a ``staticmethod`` has none, so it joins others only
      when they refer to it through ``self``;
    - a use is ``self.x`` anywhere in the method (nested functions, lambdas and
      comprehensions included), read, written or deleted; ``self.m`` where ``m`` is a method
      of the class joins the two methods (calls, property reads, bound-method references);
      ``self.m(...)`` of an ``m`` the class does not define (inherited) is no use, as
      inherited members are outside the class;
    - a method that uses nothing is a component of its own; a class with no method left has
      LCOM4 0.

Columns
    As in the ``cpg_*`` tables, :class:`~workbench.analysis.tables.CodeTables` and the other
    frames of the project, ``module`` is the int64 module key (the hash of the module's
    path, :func:`workbench.cpg.ids.module_key`), so that the frames join on it; the dotted
    name is ``module_name``, right after it, and ``path`` follows. Every row of
    :func:`module_coupling`, :func:`class_coupling` and :func:`lcom4` has a module, so
    ``module`` is never null. :func:`module_dependencies` names its two ends by dotted name
    (``src``, ``dst``) and gives their keys in ``src_module`` and ``dst_module``.

Examples
--------
>>> import workbench as wb
>>> from workbench.analysis.tables import CodeTables
>>> src = '''
... class Account:
...     def __init__(self):
...         self.balance = 0
...         self.log = []
...     def deposit(self, x):
...         self.balance += x
...     def withdraw(self, x):
...         self.balance -= x
...     def history(self):
...         return list(self.log)
... '''
>>> t = CodeTables.read(wb.build_cpg(src, path="bank.py"))
>>> lcom4(t)[["class", "lcom4", "components"]].to_dict("records")
[{'class': 'bank.Account', 'lcom4': 2, 'components': [['deposit', 'withdraw'], ['history']]}]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.analysis.semantics.summaries import (
    _BLOCK,
    _CONTROL,
    _IDENT,
    _IMPORT,
    _LITERAL,
    _METHOD,
    _TYPE_DECL,
    _Index,
    _index,
    _lists,
    _module_columns,
    _module_labels,
    _strings,
)
from workbench.analysis.tables import CodeTables
from workbench.cpg.schema import Resolution, Subkind

__all__ = [
    "CLASS_COUPLING_COLUMNS",
    "DEPENDENCY_COLUMNS",
    "LCOM4_COLUMNS",
    "MODULE_COUPLING_COLUMNS",
    "REASONS",
    "class_coupling",
    "lcom4",
    "module_coupling",
    "module_dependencies",
]

#: Why a module depends on another (``module_dependencies().reason``).
REASONS = ("calls", "imports", "inheritance", "shared_data")
#: Columns of :func:`module_dependencies`: ``src``/``dst`` are dotted module names,
#: ``src_module``/``dst_module`` their int64 module keys.
DEPENDENCY_COLUMNS = ("src", "dst", "reason", "count", "src_module", "dst_module")
#: Columns of :func:`module_coupling` (``module``: the int64 module key; ``module_name``:
#: the dotted name).
MODULE_COUPLING_COLUMNS = (
    "module",
    "module_name",
    "path",
    "ca",
    "ce",
    "instability",
    *(f"{r}_{d}" for r in REASONS for d in ("out", "in")),
)
#: Columns of :func:`class_coupling`.
CLASS_COUPLING_COLUMNS = (
    "class",
    "module",
    "module_name",
    "path",
    "line",
    "methods",
    "wmc",
    "fan_in",
    "fan_out",
    "cbo",
    "coupled",
)
#: Columns of :func:`lcom4`.
LCOM4_COLUMNS = (
    "class",
    "module",
    "module_name",
    "path",
    "line",
    "methods",
    "attributes",
    "lcom4",
    "components",
)

#: Methods LCOM4 leaves out: constructors and destructors.
CONSTRUCTORS = frozenset({"__init__", "__new__", "__del__"})
#: Decorators that make a method abstract (by their last name: ``abc.abstractmethod``).
ABSTRACT = ("abstractmethod", "abstractproperty", "abstractclassmethod", "abstractstaticmethod")
_STRUCTURAL_CALLS = frozenset({str(Resolution.MODULE_BODY), str(Resolution.CLASS_BODY)})


# -- modules ------------------------------------------------------------------------------------


def module_dependencies(tables: CodeTables) -> pd.DataFrame:
    """Why each project module depends on each other one, and how often.

    Parameters
    ----------
    tables : CodeTables
        The program (:meth:`CodeTables.read` of a store, a project or a CPG).

    Returns
    -------
    pandas.DataFrame
        :data:`DEPENDENCY_COLUMNS`: ``src`` and ``dst`` (dotted module **names**, as in
        ``module_name`` of the other frames; ``src`` depends on ``dst``), ``reason`` (one
        of :data:`REASONS`, see the module docstring), ``count``, and ``src_module`` and
        ``dst_module``, the int64 module keys of ``src`` and ``dst`` (the ``module`` of the
        ``cpg_*`` tables and of the other frames: join on them); one row per (src, dst,
        reason) with a positive count, sorted by names. A module never depends on itself
        (the same key). Two modules may share a dotted name (``dup.py`` and
        ``dup/__init__.py``): the rows between them read ``dup -> dup`` and are told apart
        by ``src_module`` and ``dst_module`` (they are two modules, so they are kept;
        :func:`~workbench.analysis.semantics.smells.cyclic_dependencies` sees no cycle in
        them).

    Raises
    ------
    TypeError
        ``tables`` is not a :class:`~workbench.analysis.tables.CodeTables`.

    Examples
    --------
    >>> import workbench as wb
    >>> from workbench.analysis.tables import CodeTables
    >>> from workbench.passes.linker import link
    >>> a = wb.build_cpg("from b import LIMIT, grow\\n\\ndef f():\\n    return grow(LIMIT)\\n",
    ...                  path="a.py")
    >>> b = wb.build_cpg("LIMIT = 3\\n\\ndef grow(x):\\n    return x + 1\\n", path="b.py")
    >>> linked = link({"a.py": a, "b.py": b})  # what build_project does
    >>> d = module_dependencies(CodeTables.read(wb.CPG.concat(linked.values())))
    >>> d[["src", "dst", "reason", "count"]]
      src dst       reason  count
    0   a   b        calls      1
    1   a   b      imports      1
    2   a   b  shared_data      1
    >>> from workbench.cpg.ids import module_key
    >>> set(d["dst_module"]) == {module_key("b.py")}
    True
    """
    ix = _index(tables)
    return _dependencies(ix).copy()


def module_coupling(tables: CodeTables) -> pd.DataFrame:
    """Afferent and efferent coupling, instability and the reasons, per module.

    Parameters
    ----------
    tables : CodeTables
        The program.

    Returns
    -------
    pandas.DataFrame
        :data:`MODULE_COUPLING_COLUMNS`, one row per module with a CPG, sorted by module
        name (then path): ``module`` (the int64 module key, as in the ``cpg_*`` tables),
        ``module_name`` (the dotted name), ``path``, ``ca`` (distinct other modules
        depending on it), ``ce`` (distinct other modules it depends on), ``instability`` =
        ``ce / (ca + ce)``, defined as 0.0 when both are 0, and for each reason of
        :data:`REASONS` the summed counts of :func:`module_dependencies` out of the module
        (``calls_out``...) and into it (``calls_in``...).

    Raises
    ------
    TypeError
        ``tables`` is not a :class:`~workbench.analysis.tables.CodeTables`.

    Examples
    --------
    >>> import workbench as wb
    >>> from workbench.analysis.tables import CodeTables
    >>> a = wb.build_cpg("import b\\n", path="a.py")
    >>> b = wb.build_cpg("X = 1\\n", path="b.py")
    >>> c = module_coupling(CodeTables.read(wb.CPG.concat([a, b])))
    >>> c[["module_name", "ca", "ce", "instability", "imports_out", "imports_in"]]
      module_name  ca  ce  instability  imports_out  imports_in
    0           a   0   1          1.0            1           0
    1           b   1   0          0.0            0           1
    >>> from workbench.cpg.ids import module_key
    >>> c["module"].tolist() == [module_key("a.py"), module_key("b.py")]
    True
    """
    ix = _index(tables)
    deps = _dependencies(ix)
    labels = _module_labels(ix)
    keys = sorted(labels, key=lambda k: (labels[k][0], labels[k][1] or "", k))
    frame = pd.DataFrame(_module_columns(ix, keys))
    pairs = deps[["src_module", "dst_module"]].drop_duplicates()
    ce = pairs.groupby("src_module").size()
    ca = pairs.groupby("dst_module").size()
    frame["ca"] = frame["module"].map(ca).fillna(0).astype("int64")
    frame["ce"] = frame["module"].map(ce).fillna(0).astype("int64")
    total = frame["ca"] + frame["ce"]
    frame["instability"] = np.where(total > 0, frame["ce"] / total.where(total > 0, 1), 0.0)
    for reason in REASONS:
        part = deps[deps["reason"] == reason]
        out = part.groupby("src_module")["count"].sum()
        inc = part.groupby("dst_module")["count"].sum()
        frame[f"{reason}_out"] = frame["module"].map(out).fillna(0).astype("int64")
        frame[f"{reason}_in"] = frame["module"].map(inc).fillna(0).astype("int64")
    frame = frame[list(MODULE_COUPLING_COLUMNS)].reset_index(drop=True)
    return _strings(frame.astype({"module": "int64"}), ("module_name", "path"))


def _dependencies(ix: _Index) -> pd.DataFrame:
    if "dependencies" in ix.memo:
        return ix.memo["dependencies"]
    parts = [
        _frame(*_call_pairs(ix), "calls"),
        _frame(*_graph_pairs(ix, "import"), "imports"),
        _frame(*_graph_pairs(ix, "inheritance"), "inheritance"),
        _frame(*_shared_pairs(ix), "shared_data"),
    ]
    df = pd.concat(parts, ignore_index=True)
    df = df[df["src"] != df["dst"]]
    df = df.groupby(["src", "dst", "reason"], as_index=False)["count"].sum()
    df = df.rename(columns={"src": "src_module", "dst": "dst_module"})
    labels = _module_labels(ix)
    df["src"] = df["src_module"].map(lambda k: labels[k][0])
    df["dst"] = df["dst_module"].map(lambda k: labels[k][0])
    df = df[list(DEPENDENCY_COLUMNS)].astype(
        {"count": "int64", "src_module": "int64", "dst_module": "int64"}
    )
    df = df.sort_values(
        ["src", "dst", "reason", "src_module", "dst_module"], kind="stable"
    ).reset_index(drop=True)
    df = _strings(df, ("src", "dst", "reason"))
    ix.memo["dependencies"] = df
    return df


def _frame(src, dst, weight, reason: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "src": np.asarray(src, np.int64),
            "dst": np.asarray(dst, np.int64),
            "reason": reason,
            "count": np.asarray(weight, np.int64),
        }
    )


def _call_pairs(ix: _Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Module keys of the caller and callee of each cross-module call (weight 1 each)."""
    site, callee, labels = ix.calls
    keep = np.array([lab not in _STRUCTURAL_CALLS for lab in labels], bool)
    src = ix.t.node_module[site[keep]] if len(site) else np.zeros(0, np.int64)
    dst = ix.m_module[callee[keep]]
    inst_site, inst_class = _instantiations(ix)
    src = np.concatenate([src, ix.t.node_module[inst_site]])
    dst = np.concatenate([dst, ix.m_module[inst_class]])
    return src, dst, np.ones(len(src), np.int64)


def _instantiations(ix: _Index) -> tuple[np.ndarray, np.ndarray]:
    """Call sites without a CALL edge whose resolved full name is a project class, and the
    class body rows (classes without ``__init__``)."""
    if "instantiations" in ix.memo:
        return ix.memo["instantiations"]
    site, _, _ = ix.calls
    linked = np.zeros(ix.n, bool)
    linked[site] = True
    by_full = dict(_class_by_full(ix))
    code_of = {f: i for i, f in enumerate(ix.fulls)}
    for f, r in list(by_full.items()):  # a class without __init__: ``pkg.C.__init__``
        init = code_of.get(ix.fulls[f] + ".__init__")
        if init is not None:
            by_full.setdefault(init, r)
    codes = np.array(sorted(by_full), np.int64)
    sites = np.flatnonzero(ix.is_site & ~linked & np.isin(ix.full, codes))
    rows = np.array([by_full[c] for c in ix.full[sites].tolist()], np.int64)
    ix.memo["instantiations"] = (sites, rows)
    return sites, rows


def _class_by_full(ix: _Index) -> dict[int, int]:
    """Full-name code of each class -> its class body row (the last class of a name)."""
    if "class_by_full" not in ix.memo:
        rows = ix.class_rows
        td = ix.type_decl[rows]
        ix.memo["class_by_full"] = {
            f: r for f, r in zip(ix.full[td].tolist(), rows.tolist(), strict=True) if f >= 0
        }
    return ix.memo["class_by_full"]


def _graph_pairs(ix: _Index, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Module keys of the ends of the edges of the import or inheritance graph, and their
    weights (import statements; 1 per class and base)."""
    nodes, edges = _graph(ix, kind)
    if not edges.num_rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    mods = nodes["module"].to_numpy(zero_copy_only=False)
    s = edges["src"].to_numpy()
    d = edges["dst"].to_numpy()
    w = edges["weight"].to_numpy().astype(np.int64)
    if kind == "inheritance":
        w = np.ones(len(s), np.int64)
    return mods[s].astype(np.int64), mods[d].astype(np.int64), w


def _graph(ix: _Index, kind: str):
    """The project graph of a kind (no external nodes), loaded once."""
    key = f"graph:{kind}"
    if key not in ix.memo:
        from workbench.analysis.graphs import load

        if not ix.t.modules.num_rows:
            from workbench.analysis.graphs import GRAPH_EDGES, GRAPH_NODES

            ix.memo[key] = (GRAPH_NODES.empty_table(), GRAPH_EDGES.empty_table())
        else:
            g = load(ix.t.source, kind)
            ix.memo[key] = (g.nodes, g.edges)
    return ix.memo[key]


def _shared_pairs(ix: _Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    acc = _references(ix)["variables"]
    if not acc:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    src = np.array([a[1] for a in acc], np.int64)
    dst = np.array([a[2] for a in acc], np.int64)
    return src, dst, np.ones(len(acc), np.int64)


def _module_variables(ix: _Index) -> set[tuple[str, str]]:
    """``(module name, variable)`` of every module-level variable of the project."""
    b = ix.bindings
    is_module = ix.m_sub_is(Subkind.MODULE)
    g, _, codes = b["store"]
    rows = ix.node_row[g]
    top = is_module[rows]
    pairs = set(zip(ix.m_module[rows[top]].tolist(), codes[top].tolist(), strict=True))
    glob, _ = ix.declared
    keys = ix.keys(ix.holder[g], codes)
    declared = np.isin(keys, glob)
    roots = ix.m_root[ix.holder[g[declared]]]
    pairs |= set(zip(ix.m_module[roots].tolist(), codes[declared].tolist(), strict=True))
    g, rows, codes = b["def"]
    top = is_module[ix.node_row[g]]
    pairs -= set(zip(ix.m_module[ix.node_row[g[top]]].tolist(), codes[top].tolist(), strict=True))
    labels = ix.module_info
    return {(labels[k][0], ix.names[c]) for k, c in pairs if k in labels and labels[k][0]}


def _references(ix: _Index) -> dict[str, list]:
    """What names bound by imports (and module-level classes) reach in other modules:

    - ``variables``: ``(node, accessor module key, owner module key)`` of accesses to
      module-level variables (``from b import X`` aliases, ``b.X`` attribute accesses);
    - ``class_attributes``: ``(fieldAccess node, class body row)`` of ``D.attr`` where
      ``D`` names a project class.
    """
    if "references" in ix.memo:
        return ix.memo["references"]
    labels = ix.module_info
    modules = {name: k for k, (name, _) in labels.items() if name}
    variables = _module_variables(ix)
    classes = {ix.fulls[f]: r for f, r in _class_by_full(ix).items()}
    variables_out: list[tuple[int, int, int]] = []
    class_attrs: list[tuple[int, int]] = []

    # names each module binds to a dotted target: imports and module-level classes
    binding: dict[int, str] = {}
    alias = np.flatnonzero((ix.kind == _IMPORT) & ix.sub_is(Subkind.ALIAS) & (ix.full >= 0))
    alias = alias[ix.name[alias] != ix.code("*")]
    roots = ix.m_root[ix.node_row[alias]]
    for g, r in zip(alias.tolist(), roots.tolist(), strict=True):
        target = ix.fulls[ix.full[g]]
        if ix.name[g] >= 0:
            binding[int(ix.keys(r, ix.name[g]))] = target
        head, _, var = target.rpartition(".")
        if head in modules and (head, var) in variables:
            mod = int(ix.m_module[r])
            if modules[head] != mod:
                variables_out.append((g, mod, modules[head]))
    is_module = ix.m_sub_is(Subkind.MODULE)
    td = np.flatnonzero((ix.kind == _TYPE_DECL) & (ix.full >= 0))
    td = td[is_module[ix.node_row[td]]]
    for g, r in zip(td.tolist(), ix.node_row[td].tolist(), strict=True):
        binding[int(ix.keys(r, ix.name[g]))] = ix.fulls[ix.full[g]]

    # attribute chains from those names: b.X, pkg.b.X, D.attr, mod.D.attr
    idents = np.flatnonzero(ix.kind == _IDENT)
    keys = ix.keys(ix.m_root[ix.node_row[idents]], ix.name[idents])
    bound = np.array(sorted(binding), np.int64)
    hit = np.isin(keys, bound)
    idents, keys = idents[hit], keys[hit]
    parent, order, is_field, attr, names = ix.parent, ix.order, ix.is_field, ix.attr, ix.names
    mod_of = ix.t.node_module
    for g, k in zip(idents.tolist(), keys.tolist(), strict=True):
        dotted = binding[k]
        cur = g
        while True:
            p = parent[cur]
            if p < 0 or not is_field[p] or order[cur] != 1 or attr[p] < 0:
                break
            a = names[attr[p]]
            if dotted in classes:
                class_attrs.append((p, classes[dotted]))
                break
            if dotted not in modules:
                break
            if (dotted, a) in variables:
                if modules[dotted] != mod_of[p]:
                    variables_out.append((p, int(mod_of[p]), modules[dotted]))
                break
            dotted = f"{dotted}.{a}"
            cur = p
    out = {"variables": variables_out, "class_attributes": class_attrs}
    ix.memo["references"] = out
    return out


# -- classes ------------------------------------------------------------------------------------


def class_coupling(tables: CodeTables) -> pd.DataFrame:
    """CBO, fan-in, fan-out, methods and WMC of every class.

    Parameters
    ----------
    tables : CodeTables
        The program.

    Returns
    -------
    pandas.DataFrame
        :data:`CLASS_COUPLING_COLUMNS`, one row per class statement, sorted by path, line
        and name: ``class`` (full name), ``module`` (int64 module key), ``module_name``
        (dotted name), ``path``, ``line``, ``methods`` (functions defined directly in the
        class body), ``wmc`` (the sum of their cyclomatic complexities), ``fan_out``
        (distinct other project classes the class uses), ``fan_in`` (distinct classes
        using it), ``cbo`` (distinct classes coupled either way) and ``coupled`` (their
        full names, sorted and distinct: two classes of the same full name, defined in two
        branches or redefined, are one name but count twice in ``cbo``). See the module
        docstring for what "uses" means.

    Raises
    ------
    TypeError
        ``tables`` is not a :class:`~workbench.analysis.tables.CodeTables`.

    Examples
    --------
    >>> import workbench as wb
    >>> from workbench.analysis.tables import CodeTables
    >>> src = '''
    ... class Engine:
    ...     def start(self):
    ...         return 1
    ... class Car:
    ...     def __init__(self):
    ...         self.engine = Engine()
    ... class Truck(Car):
    ...     pass
    ... '''
    >>> c = class_coupling(CodeTables.read(wb.build_cpg(src, path="m.py")))
    >>> c[["class", "fan_in", "fan_out", "cbo", "coupled"]]
            class  fan_in  fan_out  cbo                coupled
    0    m.Engine       1        0    1                [m.Car]
    1       m.Car       1        1    2  [m.Engine, m.Truck]
    2     m.Truck       0        1    1                [m.Car]
    """
    ix = _index(tables)
    rows = ix.class_rows
    n = len(rows)
    pos = np.full(ix.m_count, -1, np.int64)
    pos[rows] = np.arange(n)
    user, used = _class_uses(ix)
    u, v = pos[user], pos[used]
    pairs = np.unique(np.stack([u, v], axis=1), axis=0) if len(u) else np.zeros((0, 2), np.int64)
    fan_out = np.bincount(pairs[:, 0], minlength=n) if len(pairs) else np.zeros(n, np.int64)
    fan_in = np.bincount(pairs[:, 1], minlength=n) if len(pairs) else np.zeros(n, np.int64)
    both = np.concatenate([pairs, pairs[:, ::-1]]) if len(pairs) else pairs
    names = np.array(_class_names(ix, rows), object)
    coupled = _lists(n, both[:, 0], names[both[:, 1]]) if len(both) else [[] for _ in range(n)]
    methods = np.flatnonzero(ix.m_class >= 0)
    mpos = pos[ix.m_class[methods]]
    count = np.bincount(mpos, minlength=n)
    wmc = np.bincount(mpos, weights=ix.m_cyclomatic[methods], minlength=n).astype(np.int64)
    frame = _class_frame(ix, rows, names)
    frame["methods"] = count.astype(np.int64)
    frame["wmc"] = wmc
    frame["fan_in"] = fan_in.astype(np.int64)
    frame["fan_out"] = fan_out.astype(np.int64)
    frame["cbo"] = (
        np.bincount(np.unique(both, axis=0)[:, 0], minlength=n).astype(np.int64)
        if len(both)
        else np.zeros(n, np.int64)
    )
    frame["coupled"] = pd.Series(coupled, index=frame.index, dtype=object)
    return _sorted(frame)[list(CLASS_COUPLING_COLUMNS)]


def _class_names(ix: _Index, rows: np.ndarray) -> list[str]:
    td = ix.type_decl[rows]
    out = []
    for r, f in zip(rows.tolist(), ix.full[td].tolist(), strict=True):
        out.append(ix.fulls[f] if f >= 0 else ix.m_full[r].removesuffix(".<body>"))
    return out


def _class_frame(ix: _Index, rows: np.ndarray, names) -> pd.DataFrame:
    mods = _module_columns(ix, ix.m_module[rows])
    frame = pd.DataFrame(
        {
            "class": pd.Series(list(names), dtype=object),
            "module": pd.Series(mods["module"], dtype="int64"),
            "module_name": pd.Series(mods["module_name"], dtype=object),
            "path": pd.Series(mods["path"], dtype=object),
            "line": ix.line[ix.type_decl[rows]].astype(np.int64),
            "_g": ix.type_decl[rows],
        }
    )
    return _strings(frame, ("class", "module_name", "path"))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sort_values(["path", "line", "class", "_g"], kind="stable")
    return frame.drop(columns="_g").reset_index(drop=True)


def _class_uses(ix: _Index) -> tuple[np.ndarray, np.ndarray]:
    """``(user, used)`` class body rows: calls, instantiations, inheritance and attribute
    accesses through class names (both rows >= 0 and different)."""
    if "class_uses" in ix.memo:
        return ix.memo["class_uses"]
    site, callee, labels = ix.calls
    keep = np.array([lab not in _STRUCTURAL_CALLS for lab in labels], bool)
    fn = ~ix.m_sub_is(Subkind.CLASS_BODY)[callee]
    site, callee = site[keep & fn], callee[keep & fn]
    users = [ix.m_encl_class[ix.node_row[site]]]
    useds = [ix.m_encl_class[callee]]
    inst_site, inst_class = _instantiations(ix)
    users.append(ix.m_encl_class[ix.node_row[inst_site]])
    useds.append(inst_class)
    nodes, edges = _graph(ix, "inheritance")
    if edges.num_rows:
        g = ix.t.gid(nodes["module"].to_numpy(), nodes["id"].to_numpy())
        body = np.full(ix.n, -1, np.int64)
        rows = ix.class_rows
        body[ix.type_decl[rows]] = rows
        cls = np.where(g >= 0, body[np.maximum(g, 0)], -1)
        users.append(cls[edges["src"].to_numpy()])
        useds.append(cls[edges["dst"].to_numpy()])
    attrs = _references(ix)["class_attributes"]
    if attrs:
        node = np.array([a[0] for a in attrs], np.int64)
        users.append(ix.m_encl_class[ix.node_row[node]])
        useds.append(np.array([a[1] for a in attrs], np.int64))
    user = np.concatenate(users)
    used = np.concatenate(useds)
    ok = (user >= 0) & (used >= 0) & (user != used)
    out = (user[ok], used[ok])
    ix.memo["class_uses"] = out
    return out


# -- cohesion -----------------------------------------------------------------------------------


def lcom4(tables: CodeTables) -> pd.DataFrame:
    """LCOM4 (Hitz & Montazeri) of every class, with its components.

    Parameters
    ----------
    tables : CodeTables
        The program.

    Returns
    -------
    pandas.DataFrame
        :data:`LCOM4_COLUMNS`, one row per class statement, sorted by path, line and name:
        ``class`` (full name), ``module`` (int64 module key), ``module_name`` (dotted
        name), ``path``, ``line``, ``methods`` (the names of the methods counted, sorted;
        see the module docstring for which), ``attributes`` (the instance attributes they
        use, sorted), ``lcom4`` (the number of connected components, 0 for no method) and
        ``components`` (each component's method names sorted; the components sorted).

    Raises
    ------
    TypeError
        ``tables`` is not a :class:`~workbench.analysis.tables.CodeTables`.

    Examples
    --------
    >>> import workbench as wb
    >>> from workbench.analysis.tables import CodeTables
    >>> src = '''
    ... class Stack:
    ...     def push(self, x):
    ...         self.items.append(x)
    ...     def pop(self):
    ...         return self.items.pop()
    ...     def peek(self):
    ...         return self.pop()
    ...     @staticmethod
    ...     def help():
    ...         return "a stack"
    ... '''
    >>> lcom4(CodeTables.read(wb.build_cpg(src, path="m.py"))).loc[0, ["lcom4", "components"]]
    lcom4                                      2
    components    [[help], [peek, pop, push]]
    Name: 0, dtype: object
    """
    ix = _index(tables)
    rows = ix.class_rows
    n = len(rows)
    pos = np.full(ix.m_count, -1, np.int64)
    pos[rows] = np.arange(n)
    c = _cohesion(ix)
    names = np.array(ix.names, object) if ix.names else np.zeros(0, object)
    vc = pos[c["vertex_class"]]
    frame = _class_frame(ix, rows, _class_names(ix, rows))
    frame["methods"] = pd.Series(_lists(n, vc, names[c["vertex_name"]]), dtype=object)
    ac = pos[c["attr_class"]]
    frame["attributes"] = pd.Series(_lists(n, ac, names[c["attr_name"]]), dtype=object)
    comp = pd.DataFrame({"c": vc, "label": c["label"], "name": names[c["vertex_name"]]})
    comp = comp.sort_values(["c", "label", "name"], kind="stable")
    components: list[list[list[str]]] = [[] for _ in range(n)]
    last = (-1, -1)
    for cls, lab, name in zip(*(comp[k].tolist() for k in ("c", "label", "name")), strict=True):
        if (cls, lab) != last:
            components[cls].append([])
            last = (cls, lab)
        components[cls][-1].append(name)
    for lst in components:
        lst.sort()
    frame["lcom4"] = np.array([len(x) for x in components], np.int64)
    frame["components"] = pd.Series(components, index=frame.index, dtype=object)
    return _sorted(frame)[list(LCOM4_COLUMNS)]


def _cohesion(ix: _Index) -> dict[str, np.ndarray]:
    """The LCOM4 graph of every class at once.

    ``vertex_class``/``vertex_name``: the method vertices (class body row, name code);
    ``attr_class``/``attr_name``: the attributes used; ``use_vertex``/``use_attr``: which
    vertex uses which attribute (indices into the two); ``call_a``/``call_b``: vertex pairs
    one of which refers to the other; ``label``: each vertex's component;
    ``vertex_of``: per METHOD row, its vertex (-1 when not counted).
    """
    if "cohesion" in ix.memo:
        return ix.memo["cohesion"]
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rows = np.flatnonzero((ix.m_class >= 0) & _counted(ix))
    codes = np.array([ix.code(ix.m_name[r]) for r in rows.tolist()], np.int64)
    vkeys = ix.keys(ix.m_class[rows], codes)
    uniq, vertex = np.unique(vkeys, return_inverse=True)
    vertex_of = np.full(ix.m_count, -1, np.int64)
    vertex_of[rows] = vertex
    nv = len(uniq)
    node, member, attr = ix.self_access
    v = vertex_of[member]
    ok = (v >= 0) & (attr >= 0)
    node, member, attr, v = node[ok], member[ok], attr[ok], v[ok]
    akeys = ix.keys(ix.m_class[member], attr)
    # self.m where m is a method of the class: a reference to another vertex
    where = np.searchsorted(uniq, akeys)
    where = np.minimum(where, max(nv - 1, 0))
    is_vertex = (uniq[where] == akeys) if nv else np.zeros(len(akeys), bool)
    is_method = np.isin(akeys, ix.method_names)
    call_a, call_b = v[is_vertex], where[is_vertex]
    data = ~is_method & ~ix.callee_of[node]
    akeys_data = akeys[data]
    auniq, ainv = np.unique(akeys_data, return_inverse=True)
    use_vertex, use_attr = v[data], ainv
    na = len(auniq)
    src = np.concatenate([call_a, use_vertex])
    dst = np.concatenate([call_b, nv + use_attr])
    total = nv + na
    graph = coo_matrix((np.ones(len(src), np.int8), (src, dst)), shape=(total, total))
    _, labels = connected_components(graph, directed=False) if total else (0, np.zeros(0))
    out = {
        "vertex_class": uniq // ix.width,
        "vertex_name": uniq % ix.width,
        "attr_class": auniq // ix.width,
        "attr_name": auniq % ix.width,
        "use_vertex": use_vertex,
        "use_attr": use_attr,
        "call_a": call_a,
        "call_b": call_b,
        "label": np.asarray(labels[:nv], np.int64),
        "vertex_of": vertex_of,
    }
    ix.memo["cohesion"] = out
    return out


def _counted(ix: _Index) -> np.ndarray:
    """Per METHOD row: a method LCOM4 counts (no constructor, empty or abstract method)."""
    out = np.array([name not in CONSTRUCTORS for name in ix.m_name], bool)
    return out & ~ix.decorated_with(*ABSTRACT) & ~_trivial(ix)


def _trivial(ix: _Index) -> np.ndarray:
    """Per METHOD row: its body holds nothing but ``pass``, ``...``, a docstring or
    ``raise NotImplementedError``."""
    if "trivial" in ix.memo:
        return ix.memo["trivial"]
    stmts = np.flatnonzero(ix.statements)
    owner = ix.parent[ix.parent[stmts]]
    ok = owner >= 0
    stmts, owner = stmts[ok], owner[ok]
    ok = ix.kind[owner] == _METHOD
    stmts, owner = stmts[ok], owner[ok]
    kind = ix.kind[stmts]
    plain = (kind == _BLOCK) | (kind == _LITERAL)
    e = ix.first_child[stmts]
    e = np.where((e >= 0) & ix.is_site[np.maximum(e, 0)], ix.first_child[np.maximum(e, 0)], e)
    safe = np.maximum(e, 0)
    raises_nie = (
        (kind == _CONTROL)
        & ix.sub_is(Subkind.THROW)[stmts]
        & (e >= 0)
        & (ix.kind[safe] == _IDENT)
        & (ix.name[safe] == ix.code("NotImplementedError"))
    )
    plain |= raises_nie
    busy = np.zeros(ix.m_count, bool)
    busy[ix.mrow[owner[~plain]]] = True
    out = ~busy & ix.m_sub_is(Subkind.FUNCTION)
    ix.memo["trivial"] = out
    return out
