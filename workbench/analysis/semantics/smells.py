"""Design smells: god classes, feature envy, shotgun surgery, cyclic module dependencies,
dead code and long parameter lists.

Each smell is a function of a :class:`~workbench.analysis.tables.CodeTables` with its
thresholds as keyword arguments (the defaults are Lanza & Marinescu's, *Object-Oriented
Metrics in Practice*, 2006, where they define the smell); :func:`smells` runs them all. Every
function returns the :data:`SMELL_COLUMNS`: ``smell``, ``module`` (the int64 module key, as
in the ``cpg_*`` tables, the findings table and the other frames: join on it), ``module_name``
(its dotted name), ``path``, ``subject`` (the full name of the class, function or module, or
the cycle), ``line``, ``severity`` (``warning`` or ``note``, as SARIF levels) and
``evidence``, a JSON object (keys sorted) of the numbers that triggered the smell and the
thresholds they were compared with. Every smell has a module (a cycle of several modules is
given its first module by name, see :func:`cyclic_dependencies`), so ``module`` is never
null.

A threshold is any real number >= 0 (``int``, ``float``, numpy scalars; not ``bool``) and
is written to the evidence as a plain ``int`` or ``float``; another type raises
:class:`TypeError`, a negative, infinite or NaN value
:class:`~workbench.errors.AlgorithmError` (a :class:`ValueError`), the message naming the
threshold.

How the metrics are approximated from a syntactic CPG (Python has no declared types):

- **WMC** (weighted methods per class): the sum of the cyclomatic complexities of the
  functions defined directly in the class body.
- **TCC** (tight class cohesion, Bieman & Kang): the share of pairs of the class's methods
  that use a common instance attribute (``self.x``) directly; the methods are those
  :func:`~workbench.analysis.semantics.coupling.lcom4` counts (no constructors, empty or
  abstract methods); a class with fewer than two of them has TCC 1.
- **ATFD** (access to foreign data): the distinct attributes of other objects a method
  (or all methods of a class) reads or writes as data, not as a call: ``other.x``,
  ``self.part.x`` and ``Klass.x``. An attribute is identified by the name it is reached
  through (the parameter, local, ``self`` attribute or class name) and its own name, since
  the other object's class is unknown; names bound to imported modules (``os.sep``) are not
  objects and are left out.
- **LAA** (locality of attribute accesses): own attributes (``self.x`` as data) over own
  plus foreign ones; 1 when the method accesses none.
- **FDP** (foreign data providers): the distinct names the foreign attributes are reached
  through.
- **CM** / **CC** (changing methods / classes): the distinct functions (comprehensions
  folded into theirs, module and class bodies included) that call a function through CALL
  edges, and the distinct classes, or modules for code outside classes, they belong to.

Examples
--------
>>> import workbench as wb
>>> from workbench.analysis.tables import CodeTables
>>> src = '''
... def _unused(a, b, c, d, e, f):
...     return a
...     print("never")
... '''
>>> s = smells(CodeTables.read(wb.build_cpg(src, path="m.py")))
>>> s[["smell", "subject", "line", "severity"]]
                 smell     subject  line severity
0            dead_code   m._unused     2  warning
1            dead_code   m._unused     4  warning
2  long_parameter_list   m._unused     2     note
"""

from __future__ import annotations

import ast
import json
import math
import numbers
from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd

from workbench.analysis.semantics.coupling import (
    _STRUCTURAL_CALLS,
    _class_names,
    _cohesion,
    _dependencies,
)
from workbench.analysis.semantics.summaries import (
    _FIELD,
    _IDENT,
    _IMPORT,
    _LITERAL,
    _METHOD,
    _TYPE_DECL,
    _Index,
    _index,
    _module_labels,
    _strings,
)
from workbench.analysis.tables import CodeTables
from workbench.cpg.schema import Subkind
from workbench.errors import AlgorithmError

__all__ = [
    "SMELLS",
    "SMELL_COLUMNS",
    "cyclic_dependencies",
    "dead_code",
    "feature_envy",
    "god_class",
    "long_parameter_list",
    "shotgun_surgery",
    "smells",
]

#: Columns of every smell function.
SMELL_COLUMNS = (
    "smell",
    "module",
    "module_name",
    "path",
    "subject",
    "line",
    "severity",
    "evidence",
)


def god_class(
    tables: CodeTables, *, wmc: int = 47, tcc: float = 1 / 3, atfd: int = 5
) -> pd.DataFrame:
    """Classes that do too much, know too much and hold together too little.

    Lanza & Marinescu: WMC >= ``wmc`` (very high), TCC < ``tcc`` (one third) and ATFD >
    ``atfd`` (few); see the module docstring for how each is computed.

    Parameters
    ----------
    tables : CodeTables
        The program.
    wmc : int
        Smallest weighted methods per class of a god class.
    tcc : float
        Tight class cohesion must be below this.
    atfd : int
        Access to foreign data must be above this.

    Returns
    -------
    pandas.DataFrame
        :data:`SMELL_COLUMNS`, smell ``god_class``, severity ``warning``; evidence: ``wmc``,
        ``tcc``, ``atfd``, ``methods`` and the thresholds.

    Examples
    --------
    >>> import workbench as wb
    >>> from workbench.analysis.tables import CodeTables
    >>> src = "class Small:\\n    def f(self, o):\\n        return o.a + o.b\\n"
    >>> god_class(CodeTables.read(wb.build_cpg(src, path="m.py"))).empty
    True
    """
    ix = _index(tables)
    wmc = _threshold("god_class", "wmc", wmc)
    tcc = _threshold("god_class", "tcc", tcc)
    atfd = _threshold("god_class", "atfd", atfd)
    rows = ix.class_rows
    m = _class_metrics(ix)
    hit = (m["wmc"] >= wmc) & (m["tcc"] < tcc) & (m["atfd"] > atfd)
    names = _class_names(ix, rows)
    out = []
    for i in np.flatnonzero(hit).tolist():
        r = int(rows[i])
        evidence = {
            "wmc": int(m["wmc"][i]),
            "tcc": round(float(m["tcc"][i]), 4),
            "atfd": int(m["atfd"][i]),
            "methods": int(m["methods"][i]),
            "thresholds": {"wmc": wmc, "tcc": tcc, "atfd": atfd},
        }
        td = int(ix.type_decl[r])
        out.append(_row(ix, "god_class", r, names[i], int(ix.line[td]), "warning", evidence))
    return _frame(out)


def feature_envy(
    tables: CodeTables, *, atfd: int = 2, laa: float = 1 / 3, fdp: int = 2
) -> pd.DataFrame:
    """Methods more interested in other objects' data than in their own.

    Lanza & Marinescu: ATFD > ``atfd`` (few), LAA < ``laa`` (one third) and FDP <=
    ``fdp`` (few), for methods with a ``self`` (or ``cls``) parameter.

    Parameters
    ----------
    tables : CodeTables
        The program.
    atfd : int
        Foreign attributes accessed must be above this.
    laa : float
        Locality of attribute accesses must be below this.
    fdp : int
        At most this many foreign data providers.

    Returns
    -------
    pandas.DataFrame
        :data:`SMELL_COLUMNS`, smell ``feature_envy``, severity ``note``; evidence:
        ``atfd``, ``laa``, ``fdp``, ``own`` (own attributes accessed), ``envied`` (the
        provider with most attributes accessed, and how many) and the thresholds.

    Examples
    --------
    >>> import workbench as wb
    >>> from workbench.analysis.tables import CodeTables
    >>> src = '''
    ... class Invoice:
    ...     def total(self, order):
    ...         return order.price * order.quantity - order.discount
    ... '''
    >>> f = feature_envy(CodeTables.read(wb.build_cpg(src, path="m.py")))
    >>> f.loc[0, "subject"], f.loc[0, "evidence"]
    ('m.Invoice.total', '{"atfd": 3, "envied": {"attributes": 3, "via": "order"}, "fdp": 1, "laa": 0.0, "own": 0, "thresholds": {"atfd": 2, "fdp": 2, "laa": 0.3333333333333333}}')
    """  # noqa: E501
    ix = _index(tables)
    atfd = _threshold("feature_envy", "atfd", atfd)
    laa = _threshold("feature_envy", "laa", laa)
    fdp = _threshold("feature_envy", "fdp", fdp)
    acc = _foreign(ix)
    own = _own(ix)
    member, provider, attr = acc["member"], acc["provider"], acc["attr"]
    per = pd.DataFrame({"m": member, "p": provider, "a": attr}).drop_duplicates()
    m = per.groupby("m").agg(atfd=("a", "size"), fdp=("p", "nunique")).reset_index()
    m["own"] = own[m["m"].to_numpy(np.int64)] if len(m) else 0
    total = m["own"] + m["atfd"]
    m["laa"] = np.where(total > 0, m["own"] / total.where(total > 0, 1), 1.0)
    m = m[(m["atfd"] > atfd) & (m["laa"] < laa) & (m["fdp"] <= fdp)]
    m = m[ix.self_name[m["m"].to_numpy(np.int64)] >= 0] if len(m) else m
    per = per[per["m"].isin(m["m"])]
    best = per.groupby(["m", "p"]).size().reset_index(name="k")
    best["label"] = [_provider_label(ix, p) for p in best["p"].tolist()]
    best = best.sort_values(["m", "k", "label"], ascending=[True, False, True], kind="stable")
    best = best.drop_duplicates("m").set_index("m")
    out = []
    for r, a, f, o, locality in zip(
        *(m[c].tolist() for c in ("m", "atfd", "fdp", "own", "laa")), strict=True
    ):
        evidence = {
            "atfd": int(a),
            "laa": round(float(locality), 4),
            "fdp": int(f),
            "own": int(o),
            "envied": {"via": best.at[r, "label"], "attributes": int(best.at[r, "k"])},
            "thresholds": {"atfd": atfd, "laa": laa, "fdp": fdp},
        }
        out.append(_row(ix, "feature_envy", r, ix.m_full[r], int(ix.m_line[r]), "note", evidence))
    return _frame(out)


def shotgun_surgery(tables: CodeTables, *, cm: int = 7, cc: int = 5) -> pd.DataFrame:
    """Functions whose change ripples through many callers in many places.

    Lanza & Marinescu: CM > ``cm`` (short memory cap) distinct calling functions in CC >
    ``cc`` (many) distinct classes or modules.

    Parameters
    ----------
    tables : CodeTables
        The program.
    cm : int
        Distinct callers must be above this.
    cc : int
        Distinct classes (or modules, for callers outside classes) must be above this.

    Returns
    -------
    pandas.DataFrame
        :data:`SMELL_COLUMNS`, smell ``shotgun_surgery``, severity ``warning``; evidence:
        ``cm``, ``cc`` and the thresholds.

    Examples
    --------
    >>> import workbench as wb
    >>> from workbench.analysis.tables import CodeTables
    >>> calls = "".join(f"class C{i}:\\n    def m(self):\\n        log()\\n" for i in range(8))
    >>> t = CodeTables.read(wb.build_cpg("def log():\\n    pass\\n" + calls, path="m.py"))
    >>> shotgun_surgery(t)[["subject", "evidence"]].to_dict("records")
    [{'subject': 'm.log', 'evidence': '{"cc": 8, "cm": 8, "thresholds": {"cc": 5, "cm": 7}}'}]
    """
    ix = _index(tables)
    cm = _threshold("shotgun_surgery", "cm", cm)
    cc = _threshold("shotgun_surgery", "cc", cc)
    site, callee, labels = ix.calls
    keep = np.array([lab not in _STRUCTURAL_CALLS for lab in labels], bool)
    keep &= ix.m_sub_is(Subkind.FUNCTION)[callee]
    site, callee = site[keep], callee[keep]
    caller = ix.holder[site]
    keep = caller != callee
    caller, callee = caller[keep], callee[keep]
    place = np.where(ix.m_encl_class[caller] >= 0, ix.m_encl_class[caller], ix.m_root[caller])
    df = pd.DataFrame({"f": callee, "caller": caller, "place": place})
    agg = df.groupby("f").agg(cm=("caller", "nunique"), cc=("place", "nunique"))
    agg = agg[(agg["cm"] > cm) & (agg["cc"] > cc)]
    out = []
    for r, row in agg.iterrows():
        evidence = {"cm": int(row["cm"]), "cc": int(row["cc"]), "thresholds": {"cm": cm, "cc": cc}}
        out.append(
            _row(ix, "shotgun_surgery", r, ix.m_full[r], int(ix.m_line[r]), "warning", evidence)
        )
    return _frame(out)


def cyclic_dependencies(tables: CodeTables, *, min_size: int = 2) -> pd.DataFrame:
    """Groups of modules that depend on each other in a cycle.

    The strongly connected components of at least ``min_size`` modules of the graph of
    :func:`~workbench.analysis.semantics.coupling.module_dependencies` (every reason).

    Parameters
    ----------
    tables : CodeTables
        The program.
    min_size : int
        Smallest component reported (2: every cycle).

    Returns
    -------
    pandas.DataFrame
        :data:`SMELL_COLUMNS`, smell ``cyclic_dependency``, severity ``warning``, one row per
        component; ``module`` (key), ``module_name`` and ``path`` are those of the
        component's first module by name (a cycle has no single module: the first one
        stands for it, so that ``module`` is never null), ``subject`` a shortest cycle
        through it (``a -> b -> a``), ``line`` null; evidence: ``modules`` (dotted names,
        sorted), ``edges`` (every dependency inside the component: ``src``, ``dst`` as
        dotted names and the count per reason) and the threshold. Where two modules of a
        component share a dotted name, each is shown as ``name (path)``.

    Two modules of one dotted name (``dup.py`` and ``dup/__init__.py``: Python imports only
    the package) may depend on each other in :func:`module_dependencies` (``dup -> dup``);
    those dependencies make no cycle here.

    Raises
    ------
    TypeError
        ``min_size`` is not a real number.
    workbench.errors.AlgorithmError
        ``min_size`` is negative, infinite or NaN.

    Examples
    --------
    >>> import workbench as wb
    >>> from workbench.analysis.tables import CodeTables
    >>> a, b = wb.build_cpg("import b\\n", path="a.py"), wb.build_cpg("import a\\n", path="b.py")
    >>> c = cyclic_dependencies(CodeTables.read(wb.CPG.concat([a, b])))
    >>> c.loc[0, "module_name"], c.loc[0, "subject"], c.loc[0, "evidence"]
    ('a', 'a -> b -> a', '{"edges": [{"dst": "b", "reasons": {"imports": 1}, "src": "a"}, {"dst": "a", "reasons": {"imports": 1}, "src": "b"}], "min_size": 2, "modules": ["a", "b"]}')
    >>> from workbench.cpg.ids import module_key
    >>> int(c.loc[0, "module"]) == module_key("a.py")
    True
    """  # noqa: E501
    import networkx as nx

    ix = _index(tables)
    min_size = _threshold("cyclic_dependencies", "min_size", min_size)
    deps = _dependencies(ix)
    # two modules of one dotted name (dup.py and dup/__init__.py): Python imports only one
    # of them, so a dependency between them is no cycle of the program
    deps = deps[deps["src"] != deps["dst"]]
    labels = _module_labels(ix)
    g = nx.DiGraph()  # over module keys (two modules may share a dotted name)
    g.add_edges_from(zip(deps["src_module"].tolist(), deps["dst_module"].tolist(), strict=True))

    def order(k: int) -> tuple:
        name, path = labels[k]
        return name, path or "", k

    out = []
    for comp in nx.strongly_connected_components(g):
        if len(comp) < max(min_size, 2):
            continue
        members = sorted(comp, key=order)
        twice = Counter(labels[k][0] for k in members)

        def shown(k: int, twice=twice) -> str:
            name, path = labels[k]
            return f"{name} ({path})" if twice[name] > 1 else name

        inside = deps[deps["src_module"].isin(comp) & deps["dst_module"].isin(comp)]
        edges = [
            {
                "src": shown(s),
                "dst": shown(d),
                "reasons": dict(zip(part["reason"], part["count"].tolist(), strict=True)),
            }
            for (_, _, s, d), part in inside.groupby(
                ["src", "dst", "src_module", "dst_module"], sort=True
            )
        ]
        cycle = _shortest_cycle(g.subgraph(comp), members[0], order)
        evidence = {
            "modules": [shown(k) for k in members],
            "edges": edges,
            "min_size": min_size,
        }
        out.append(
            {
                "smell": "cyclic_dependency",
                "module": members[0],
                "module_name": labels[members[0]][0],
                "path": labels[members[0]][1],
                "subject": " -> ".join(shown(k) for k in cycle),
                "line": None,
                "severity": "warning",
                "evidence": _json(evidence),
            }
        )
    return _frame(out)


def dead_code(tables: CodeTables) -> pd.DataFrame:
    """Unreachable statements and functions nothing calls or names.

    Two kinds (``evidence["kind"]``):

    - ``unreachable``: a statement no path from its function's entry reaches (CPG nodes
      with ``reachable`` false), reported once for the outermost such statement (its
      nested statements, and functions defined in it, are not reported again);
      ``subject`` is the function holding it, severity ``warning``;
    - ``unused_function``: a function or method with no CALL edge into it from outside
      its own body and whose name no identifier, attribute name or import names outside
      its own body, that has no decorator, is no dunder (``__eq__``) and is not listed in
      its module's ``__all__``. Python calls functions by name (``getattr``, callbacks,
      frameworks), so ``confidence`` is ``high`` only for a private name (``_helper``)
      or a function nested in a function, and not for a method of a class with a base
      (it may override a method the base calls); else ``low`` (public API). Severity
      ``warning`` for high confidence, ``note`` for low.

    Parameters
    ----------
    tables : CodeTables
        The program.

    Returns
    -------
    pandas.DataFrame
        :data:`SMELL_COLUMNS`, smell ``dead_code``.

    Examples
    --------
    >>> import workbench as wb
    >>> from workbench.analysis.tables import CodeTables
    >>> src = "def _old():\\n    pass\\n\\ndef api():\\n    return 1\\n    print()\\n"
    >>> d = dead_code(CodeTables.read(wb.build_cpg(src, path="m.py")))
    >>> d[["subject", "line", "severity"]]
       subject  line severity
    0   m._old     1  warning
    1    m.api     4     note
    2    m.api     6  warning
    >>> for e in d["evidence"]:
    ...     print(e)
    {"confidence": "high", "kind": "unused_function", "method": false, "nested": false}
    {"confidence": "low", "kind": "unused_function", "method": false, "nested": false}
    {"end_line": 6, "kind": "unreachable", "statement": "Call"}
    """
    ix = _index(tables)
    return _frame(_unreachable(ix) + _unused(ix))


def long_parameter_list(tables: CodeTables, *, max_parameters: int = 5) -> pd.DataFrame:
    """Functions with more than ``max_parameters`` parameters.

    Every parameter counts (``*args``, keyword-only and ``**kwargs`` included) but the
    ``self`` or ``cls`` of a method; lambdas are left out.

    Parameters
    ----------
    tables : CodeTables
        The program.
    max_parameters : int
        The most parameters a function may have.

    Returns
    -------
    pandas.DataFrame
        :data:`SMELL_COLUMNS`, smell ``long_parameter_list``, severity ``note``; evidence:
        ``parameters`` and the threshold.

    Examples
    --------
    >>> import workbench as wb
    >>> from workbench.analysis.tables import CodeTables
    >>> src = "class C:\\n    def m(self, a, b, c, d, e, *, f):\\n        pass\\n"
    >>> long_parameter_list(CodeTables.read(wb.build_cpg(src, path="m.py")))["evidence"][0]
    '{"max_parameters": 5, "parameters": 6}'
    """
    ix = _index(tables)
    max_parameters = _threshold("long_parameter_list", "max_parameters", max_parameters)
    rows = np.flatnonzero(ix.m_sub_is(Subkind.FUNCTION))
    count = ix.m_params[rows] - (ix.self_name[rows] >= 0)
    out = []
    long = count > max_parameters
    for r, k in zip(rows[long].tolist(), count[long].tolist(), strict=True):
        evidence = {"parameters": int(k), "max_parameters": max_parameters}
        out.append(
            _row(ix, "long_parameter_list", r, ix.m_full[r], int(ix.m_line[r]), "note", evidence)
        )
    return _frame(out)


#: Every smell function, by the name its rows carry in ``smell`` (``cyclic_dependency`` is
#: made by :func:`cyclic_dependencies`).
SMELLS: dict[str, Callable[..., pd.DataFrame]] = {
    "god_class": god_class,
    "feature_envy": feature_envy,
    "shotgun_surgery": shotgun_surgery,
    "cyclic_dependency": cyclic_dependencies,
    "dead_code": dead_code,
    "long_parameter_list": long_parameter_list,
}


def smells(tables: CodeTables, **thresholds: float) -> pd.DataFrame:
    """Every smell of :data:`SMELLS`, in one frame.

    Parameters
    ----------
    tables : CodeTables
        The program.
    **thresholds
        Thresholds of the smell functions, named ``<smell>_<keyword>``:
        ``god_class_wmc``, ``god_class_tcc``, ``god_class_atfd``, ``feature_envy_atfd``,
        ``feature_envy_laa``, ``feature_envy_fdp``, ``shotgun_surgery_cm``,
        ``shotgun_surgery_cc``, ``cyclic_dependency_min_size``,
        ``long_parameter_list_max_parameters``.

    Returns
    -------
    pandas.DataFrame
        :data:`SMELL_COLUMNS`, sorted by smell, path, line and subject.

    Raises
    ------
    TypeError
        ``tables`` is not a :class:`~workbench.analysis.tables.CodeTables`, an unknown
        threshold (the message lists the known ones), or a threshold that is not a real
        number.
    workbench.errors.AlgorithmError
        A threshold is negative, infinite or NaN.

    Examples
    --------
    >>> import workbench as wb
    >>> from workbench.analysis.tables import CodeTables
    >>> t = CodeTables.read(wb.build_cpg("def f(a, b, c):\\n    return a\\n\\nf(1, 2, 3)\\n",
    ...                                  path="m.py"))
    >>> smells(t, long_parameter_list_max_parameters=2)[["smell", "subject"]]
                     smell subject
    0  long_parameter_list     m.f
    >>> smells(t, god_class_wmcc=3)
    Traceback (most recent call last):
    ...
    TypeError: unknown threshold 'god_class_wmcc'; known: cyclic_dependency_min_size, ...
    >>> smells(t, god_class_wmc=-1)
    Traceback (most recent call last):
    ...
    workbench.errors.AlgorithmError: smells(): god_class_wmc=-1: a threshold is a finite ...
    """
    _index(tables)  # checks the type before the thresholds
    known = _known_thresholds()
    per: dict[str, dict[str, float]] = {name: {} for name in SMELLS}
    for key, value in thresholds.items():
        if key not in known:
            raise TypeError(f"unknown threshold {key!r}; known: {', '.join(sorted(known))}")
        smell, kw = known[key]
        per[smell][kw] = _threshold("smells", key, value)
    parts = [fn(tables, **per[name]) for name, fn in SMELLS.items()]
    return _frame([r for p in parts for r in p.to_dict("records")])


def _known_thresholds() -> dict[str, tuple[str, str]]:
    import inspect

    out = {}
    for name, fn in SMELLS.items():
        for p in inspect.signature(fn).parameters.values():
            if p.kind is inspect.Parameter.KEYWORD_ONLY:
                out[f"{name}_{p.name}"] = (name, p.name)
    return out


# -- rows ---------------------------------------------------------------------------------------


def _threshold(caller: str, name: str, value: object) -> int | float:
    """A threshold as a plain ``int`` (any integer type) or ``float``, finite and >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{caller}(): {name}={value!r} is not a number; a threshold is a real number >= 0 "
            "(int or float, numpy scalars included)"
        )
    out = int(value) if isinstance(value, numbers.Integral) else float(value)
    if not math.isfinite(out) or out < 0:
        raise AlgorithmError(f"{caller}(): {name}={value!r}: a threshold is a finite number >= 0")
    return out


def _json(obj) -> str:
    return json.dumps(obj, sort_keys=True)


def _row(ix: _Index, smell: str, row: int, subject: str, line, severity: str, evidence) -> dict:
    key = int(ix.m_module[row])
    name, path = _module_labels(ix).get(key, (None, None))
    return {
        "smell": smell,
        "module": key,
        "module_name": name,
        "path": path,
        "subject": subject,
        "line": line,
        "severity": severity,
        "evidence": _json(evidence),
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(SMELL_COLUMNS))
    frame["line"] = pd.array(frame["line"].tolist(), dtype="Int64")
    frame["module"] = frame["module"].astype("int64")
    frame = _strings(frame, [c for c in SMELL_COLUMNS if c not in ("module", "line")])
    frame = frame.sort_values(
        ["smell", "path", "line", "subject", "evidence"], kind="stable", na_position="first"
    )
    return frame.reset_index(drop=True)


def _shortest_cycle(graph, start: int, order: Callable[[int], tuple]) -> list[int]:
    """A shortest cycle through ``start`` (module keys), trying its successors in ``order``."""
    import networkx as nx

    best: list[int] | None = None
    for succ in sorted(graph.successors(start), key=order):
        try:
            path = nx.shortest_path(graph, succ, start)
        except nx.NetworkXNoPath:  # pragma: no cover - start is in a strong component
            continue
        if best is None or len(path) < len(best):
            best = path
    return [start, *(best or [start])]


# -- class metrics ------------------------------------------------------------------------------


def _class_metrics(ix: _Index) -> dict[str, np.ndarray]:
    """Per class body row (in :attr:`_Index.class_rows` order): ``wmc``, ``methods``,
    ``tcc`` and ``atfd``."""
    from scipy.sparse import coo_matrix, triu

    rows = ix.class_rows
    n = len(rows)
    pos = np.full(ix.m_count, -1, np.int64)
    pos[rows] = np.arange(n)
    methods = np.flatnonzero(ix.m_class >= 0)
    mpos = pos[ix.m_class[methods]]
    count = np.bincount(mpos, minlength=n)
    wmc = np.bincount(mpos, weights=ix.m_cyclomatic[methods], minlength=n).astype(np.int64)
    # TCC over the LCOM4 vertices: pairs that share an attribute
    c = _cohesion(ix)
    nv, na = len(c["vertex_class"]), len(c["attr_class"])
    vpos = pos[c["vertex_class"]]
    k = np.bincount(vpos, minlength=n) if nv else np.zeros(n, np.int64)
    pairs = k * (k - 1) // 2
    connected = np.zeros(n, np.int64)
    if len(c["use_vertex"]):
        m = coo_matrix(
            (np.ones(len(c["use_vertex"])), (c["use_vertex"], c["use_attr"])), shape=(nv, na)
        ).tocsr()
        m.data[:] = 1
        shared = triu(m @ m.T, k=1).tocoo()
        np.add.at(connected, vpos[shared.row], 1)
    tcc = np.where(pairs > 0, connected / np.maximum(pairs, 1), 1.0)
    # ATFD: distinct (provider, attribute) accessed by the class's methods
    acc = _foreign(ix)
    cls = pos[ix.m_class[acc["member"]]]
    per = pd.DataFrame({"c": cls, "p": acc["provider"], "a": acc["attr"]}).drop_duplicates()
    atfd = np.bincount(per["c"].to_numpy(np.int64), minlength=n) if len(per) else np.zeros(n)
    return {"wmc": wmc, "methods": count, "tcc": tcc, "atfd": atfd.astype(np.int64)}


def _foreign(ix: _Index) -> dict[str, np.ndarray]:
    """Foreign data accesses of class methods: ``member`` (method row), ``provider``
    (``2 * name`` for a name, ``2 * attr + 1`` for ``self.attr``) and ``attr`` codes."""
    if "foreign" in ix.memo:
        return ix.memo["foreign"]
    f = np.flatnonzero(ix.is_field & ~ix.callee_of)
    member = ix.m_member[ix.node_row[f]]
    ok = (member >= 0) & (ix.attr[f] >= 0)
    f, member = f[ok], member[ok]
    rec = ix.first_child[f]
    ok = rec >= 0
    f, member, rec = f[ok], member[ok], rec[ok]
    selfname = ix.self_name[member]
    is_ident = ix.kind[rec] == _IDENT
    # names: not self, not a module bound by an import
    imports = _import_keys(ix)
    mod_key = ix.keys(ix.m_root[ix.node_row[rec]], ix.name[rec])
    by_name = is_ident & (ix.name[rec] != selfname) & ~np.isin(mod_key, imports)
    # self.part.x
    inner = np.where(ix.is_field[rec], ix.first_child[rec], -1)
    safe = np.maximum(inner, 0)
    by_self = (
        ix.is_field[rec]
        & (inner >= 0)
        & (ix.kind[safe] == _IDENT)
        & (ix.name[safe] == selfname)
        & (selfname >= 0)
        & (ix.attr[rec] >= 0)
    )
    provider = np.where(by_name, 2 * ix.name[rec].astype(np.int64), 2 * ix.attr[rec] + 1)
    keep = by_name | by_self
    out = {"member": member[keep], "provider": provider[keep], "attr": ix.attr[f[keep]]}
    ix.memo["foreign"] = out
    return out


def _import_keys(ix: _Index) -> np.ndarray:
    """Sorted ``module row * W + name`` of the names imports bind (anywhere in a module)."""
    alias = np.flatnonzero((ix.kind == _IMPORT) & ix.sub_is(Subkind.ALIAS) & (ix.name >= 0))
    return np.unique(ix.keys(ix.m_root[ix.node_row[alias]], ix.name[alias]))


def _provider_label(ix: _Index, provider: int) -> str:
    code = provider // 2
    return ix.names[code] if provider % 2 == 0 else f"self.{ix.names[code]}"


def _own(ix: _Index) -> np.ndarray:
    """Per METHOD row: distinct own attributes (``self.x`` as data) it accesses."""
    node, member, attr = ix.self_access
    cls = ix.m_class[member]
    data = ~np.isin(ix.keys(cls, attr), ix.method_names) & ~ix.callee_of[node] & (attr >= 0)
    pairs = np.unique(ix.keys(member[data], attr[data]))
    return np.bincount(pairs // ix.width, minlength=ix.m_count)


# -- dead code ----------------------------------------------------------------------------------


def _unreachable(ix: _Index) -> list[dict]:
    reach = ix.t.node_reachable
    stmts = np.flatnonzero(ix.statements & ~reach)
    enclosing = np.full(len(stmts), -1, np.int64)
    todo = np.arange(len(stmts))
    cur = ix.parent[stmts]
    while len(todo):
        live = cur >= 0
        todo, cur = todo[live], cur[live]
        at = ix.statements[cur]
        enclosing[todo[at]] = cur[at]
        todo, cur = todo[~at], ix.parent[cur[~at]]
    top = (enclosing < 0) | reach[np.maximum(enclosing, 0)]
    stmts = stmts[top]
    end = ix.t.nodes["end_line"].take(stmts).to_pylist() if len(stmts) else []
    asts = ix.t.nodes["ast_type"].take(stmts).to_pylist() if len(stmts) else []
    out = []
    for g, e, a in zip(stmts.tolist(), end, asts, strict=True):
        r = int(ix.node_row[g])
        evidence = {"kind": "unreachable", "statement": a, "end_line": e}
        out.append(_row(ix, "dead_code", r, ix.m_full[r], int(ix.line[g]), "warning", evidence))
    return out


def _unused(ix: _Index) -> list[dict]:
    rows = np.flatnonzero(ix.m_sub_is(Subkind.FUNCTION))
    names = [ix.m_name[r] for r in rows.tolist()]
    dunder = np.array([s.startswith("__") and s.endswith("__") for s in names], bool)
    rows = rows[~dunder & ~ix.decorated[rows]]
    exported = _exported(ix)
    at_top = ix.m_sub_is(Subkind.MODULE)[np.maximum(ix.m_parent[rows], 0)] & (
        ix.m_parent[rows] >= 0
    )
    listed = np.array(
        [
            top and (int(k), ix.m_name[r]) in exported
            for r, k, top in zip(
                rows.tolist(), ix.m_module[rows].tolist(), at_top.tolist(), strict=True
            )
        ],
        bool,
    )
    rows = rows[~listed & ~_defined_unreachable(ix, rows)]
    if not len(rows):
        return []
    cand = np.zeros(ix.m_count, bool)
    cand[rows] = True
    code = np.full(ix.m_count, -1, np.int64)
    code[rows] = [ix.code(ix.m_name[r]) for r in rows.tolist()]
    # calls from outside the function's own body
    site, callee, _ = ix.calls
    caller = ix.holder[site]
    outside = (caller < callee) | (caller > ix.m_last[callee])
    called = np.zeros(ix.m_count, bool)
    called[callee[outside]] = True
    # references by name, minus those inside the function itself
    store, aug, _ = ix.targets
    refs = np.flatnonzero(((ix.kind == _IDENT) & (~store | aug)) | (ix.kind == _FIELD))
    ref_names = [ix.name[refs]]
    ref_rows = [ix.node_row[refs]]
    alias = np.flatnonzero((ix.kind == _IMPORT) & ix.sub_is(Subkind.ALIAS) & (ix.full >= 0))
    last = np.array(
        [ix.code(ix.fulls[f].rpartition(".")[2]) for f in ix.full[alias].tolist()], np.int64
    )
    ref_names += [ix.name[alias], last]
    ref_rows += [ix.node_row[alias], ix.node_row[alias]]
    ref_name = np.concatenate(ref_names).astype(np.int64)
    ref_row = np.concatenate(ref_rows)
    wanted = np.isin(ref_name, code[rows])
    ref_name, ref_row = ref_name[wanted], ref_row[wanted]
    total = np.bincount(ref_name, minlength=max(len(ix.names), 1)) if len(ref_name) else None
    inside = np.zeros(ix.m_count, np.int64)
    anc, nm = ref_row, ref_name
    while True:  # up the enclosing methods, one level per round
        live = anc >= 0
        if not live.any():
            break
        anc, nm = anc[live], nm[live]
        hit = cand[anc] & (code[anc] == nm)
        np.add.at(inside, anc[hit], 1)
        anc = ix.m_parent[anc]
    refd = np.zeros(ix.m_count, bool)
    if total is not None:
        refd[rows] = total[code[rows]] - inside[rows] > 0
    dead = rows[~called[rows] & ~refd[rows]]
    has_base = _has_bases(ix)
    out = []
    for r in dead.tolist():
        name = ix.m_name[r]
        method = bool(ix.m_class[r] >= 0)
        nested = bool(ix.m_encl_func[r] >= 0)
        private = name.startswith("_")
        overridable = method and bool(has_base[ix.m_class[r]])
        high = (private or nested) and not overridable
        evidence = {
            "kind": "unused_function",
            "confidence": "high" if high else "low",
            "method": method,
            "nested": nested,
        }
        severity = "warning" if high else "note"
        out.append(_row(ix, "dead_code", r, ix.m_full[r], int(ix.m_line[r]), severity, evidence))
    return out


def _defined_unreachable(ix: _Index, rows: np.ndarray) -> np.ndarray:
    """Per METHOD row of ``rows``: its ``def`` lies in unreachable code (the METHOD node or
    a node around it is not reachable); :func:`_unreachable` reports that code once."""
    reach = ix.t.node_reachable
    out = np.zeros(len(rows), bool)
    todo = np.arange(len(rows))
    cur = ix.m_g[rows]
    while len(todo):
        live = cur >= 0
        todo, cur = todo[live], cur[live]
        dead = ~reach[cur]
        out[todo[dead]] = True
        todo, cur = todo[~dead], ix.parent[cur[~dead]]
    return out


def _has_bases(ix: _Index) -> np.ndarray:
    """Per class body row: the class statement names a base (or a keyword such as
    ``metaclass=``)."""
    out = np.zeros(ix.m_count, bool)
    td = ix.type_decl
    kids = np.flatnonzero(ix.has_parent & (ix.kind[np.maximum(ix.parent, 0)] == _TYPE_DECL))
    kids = kids[(ix.kind[kids] != _METHOD) & (ix.line[kids] >= ix.line[ix.parent[kids]])]
    with_bases = np.zeros(ix.n, bool)
    with_bases[ix.parent[kids]] = True
    rows = ix.class_rows
    out[rows] = with_bases[td[rows]]
    return out


def _exported(ix: _Index) -> set[tuple[int, str]]:
    """``(module key, name)`` of the string literals in module-level statements that
    mention ``__all__`` (``__all__ = [...]``, ``__all__ += [...]``,
    ``__all__.extend([...])``)."""
    refs = np.flatnonzero((ix.kind == _IDENT) & (ix.name == ix.code("__all__")))
    refs = refs[ix.m_sub_is(Subkind.MODULE)[ix.node_row[refs]]]
    if not len(refs):
        return set()
    statements = np.unique(_statement_of(ix, refs))
    statements = statements[statements >= 0]
    lits = np.flatnonzero((ix.kind == _LITERAL) & ix.sub_is("str"))
    lits = lits[np.isin(ix.t.node_module[lits], ix.t.node_module[statements])]
    lits = lits[ix.m_sub_is(Subkind.MODULE)[ix.node_row[lits]]]
    lits = lits[np.isin(_statement_of(ix, lits), statements)]
    out = set()
    for g, text in zip(lits.tolist(), ix.t.code(lits).to_pylist(), strict=True):
        try:
            value = ast.literal_eval(text or "")
        except (ValueError, SyntaxError):
            continue
        if isinstance(value, str):
            out.add((int(ix.t.node_module[g]), value))
    return out


def _statement_of(ix: _Index, nodes: np.ndarray) -> np.ndarray:
    """The statement holding each node (itself when it is one; -1 for none)."""
    out = np.full(len(nodes), -1, np.int64)
    todo = np.arange(len(nodes))
    cur = np.asarray(nodes, np.int64)
    while len(todo):
        live = cur >= 0
        todo, cur = todo[live], cur[live]
        at = ix.statements[cur]
        out[todo[at]] = cur[at]
        todo, cur = todo[~at], ix.parent[cur[~at]]
    return out
