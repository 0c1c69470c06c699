"""Function summaries: what each function reads, writes, raises, returns, yields and calls.

:func:`function_summaries` gives one row per function and lambda of a program, every list
column sorted and without duplicates, computed from the CPG with array operations so that it
runs over the whole standard library in seconds. A summary is syntactic (the names and
expressions the function's own code holds) with names classified by Python's scope rules:

============== ================================================================================
column         what
============== ================================================================================
reads_*        names read, one column per scope: ``parameters``, ``locals`` (bound in the
               function), ``free`` (declared ``nonlocal`` or bound by an enclosing function),
               ``globals`` (declared ``global``, bound at module level or unknown) and
               ``builtins`` (a builtin no module-level binding shadows)
writes_*       ``locals`` (assignment, ``for``/``with``/``except``/``match`` targets, ``del``,
               imports, nested ``def``/``class``), ``globals`` and ``nonlocals`` (a name the
               function declares so and binds), ``attributes`` (``self.x``, ``obj.a.b``: the
               path of the attribute written or deleted), ``subscripts`` (the path of the
               container of ``d[k] = ...``)
raises         what ``raise`` statements raise: the callee as written for ``raise X(...)``,
               the name or path for ``raise X``, ``<re-raise>`` for a bare ``raise``
returns        what return statements return, one short description each (below); ``None``
               for ``return``, ``return None`` and for a function whose end a path reaches
               without a ``return``
yields         the function is a generator
calls          the callees: the full names of the methods its CALL edges reach and of the
               resolved callees without a METHOD in the program (``builtins.len``,
               ``os.path.join``); unresolved calls are left out
============== ================================================================================

Descriptions in ``returns``: ``None``, ``literal:<type>`` (``literal:int``; an f-string is
``literal:str``), ``name:<name>``, ``call:<callee full name or as written>``,
``attribute:<path>``, ``subscript:<path>``, ``tuple``, ``list``, ``dict``, ``set``,
``lambda``, ``listcomp``/``setcomp``/``dictcomp``/``genexpr``, else ``operator:<name>``
(``operator:addition``, ``operator:conditional``, ``operator:await``). A path is the
expression's chain of names, attributes (``.a``), subscripts (``[]``) and calls (``()``):
``self.items[]``, ``obj.get().x``; a part that is none of these is ``?``.

Comprehensions are their own METHODs in the CPG; a summary folds them into the function that
holds them (their iteration variables count as its locals, their calls as its calls). Nested
functions, lambdas and classes have summaries (or none) of their own. ``returns`` and
``raises`` read only reachable statements (code after a ``return`` raises nothing); the other
columns read all of the function's code.

Examples
--------
>>> import workbench as wb
>>> from workbench.analysis.tables import CodeTables
>>> src = "def f(x):\\n    global N\\n    N = x\\n    if x:\\n        return len(x)\\n"
>>> row = function_summaries(CodeTables.read(wb.build_cpg(src, path="m.py"))).iloc[0]
>>> row["reads_parameters"], row["reads_builtins"], row["writes_globals"]
(['x'], ['len'], ['N'])
>>> row["returns"], row["calls"]
(['None', 'call:builtins.len'], ['builtins.len'])
"""

from __future__ import annotations

import builtins
import weakref
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.analysis.tables import NODE_KINDS, CodeTables
from workbench.cpg.schema import CfgLabel, EdgeKind, NodeKind, Resolution, Subkind

__all__ = ["SUMMARY_COLUMNS", "function_summaries"]

#: The columns of :func:`function_summaries`, in order.
SUMMARY_COLUMNS = (
    "function",
    "module",
    "module_name",
    "path",
    "line",
    "kind",
    "parameters",
    "reads_parameters",
    "reads_locals",
    "reads_free",
    "reads_globals",
    "reads_builtins",
    "writes_locals",
    "writes_globals",
    "writes_nonlocals",
    "writes_attributes",
    "writes_subscripts",
    "raises",
    "returns",
    "yields",
    "calls",
)

_LIST_COLUMNS = tuple(
    c for c in SUMMARY_COLUMNS[SUMMARY_COLUMNS.index("parameters") :] if c != "yields"
)
#: The dtype pandas gives strings (``str`` in pandas 3, ``object`` before): string columns
#: have it whether the frame is empty or not.
STRING = pd.Series(["x"]).dtype


def function_summaries(tables: CodeTables) -> pd.DataFrame:
    """One row per function and lambda: what it reads, writes, raises, returns, yields and
    calls.

    Parameters
    ----------
    tables : CodeTables
        The program (:meth:`CodeTables.read` of a store, a project or a CPG).

    Returns
    -------
    pandas.DataFrame
        The :data:`SUMMARY_COLUMNS`: ``function`` (full name), ``module`` (the int64
        module key, as in the ``cpg_*`` tables: join on it), ``module_name`` (the dotted
        name), ``path``, ``line``, ``kind`` (``FUNCTION`` or ``LAMBDA``), ``parameters``
        (in order), the list columns of the module docstring (each sorted, without
        duplicates) and ``yields`` (bool); sorted by path, line and full name.

    Raises
    ------
    TypeError
        ``tables`` is not a :class:`~workbench.analysis.tables.CodeTables`.

    Examples
    --------
    >>> import workbench as wb
    >>> from workbench.analysis.tables import CodeTables
    >>> src = '''
    ... def outer(items):
    ...     total = 0
    ...     def add(v):
    ...         nonlocal total
    ...         total += v
    ...     for i in items:
    ...         add(i)
    ...     if not items:
    ...         raise ValueError("empty")
    ...     return total
    ... '''
    >>> s = function_summaries(CodeTables.read(wb.build_cpg(src, path="m.py")))
    >>> s[["function", "module_name", "path", "line", "kind"]]
                   function module_name  path  line      kind
    0               m.outer           m  m.py     2  FUNCTION
    1  m.outer.<locals>.add           m  m.py     4  FUNCTION
    >>> from workbench.cpg.ids import module_key
    >>> set(s["module"]) == {module_key("m.py")}  # the key of the cpg_* tables
    True
    >>> s = s.set_index("function")
    >>> s.loc["m.outer", ["reads_locals", "writes_locals", "raises", "returns"]].tolist()
    [['add', 'i', 'total'], ['add', 'i', 'total'], ['ValueError'], ['name:total']]
    >>> s.loc["m.outer", "calls"]
    ['builtins.ValueError', 'm.outer.<locals>.add']
    >>> s.loc["m.outer.<locals>.add", ["reads_free", "writes_nonlocals", "returns"]].tolist()
    [['total'], ['total'], ['None']]
    """
    ix = _index(tables)
    rows = ix.function_rows
    n = len(rows)
    pos = np.full(ix.m_count, -1, np.int64)
    pos[rows] = np.arange(n)
    out: dict[str, object] = {}
    out["function"] = [ix.m_full[r] for r in rows.tolist()]
    out.update(_module_columns(ix, ix.m_module[rows]))
    out["line"] = ix.m_line[rows]
    out["kind"] = [ix.m_sub[r] for r in rows.tolist()]
    lists = ix.summary_lists(pos, n)
    for col in _LIST_COLUMNS:
        out[col] = lists[col]
    out["yields"] = ix.m_generator[rows].astype(bool)
    frame = pd.DataFrame(
        {
            c: pd.Series(out[c], dtype=object if c in _LIST_COLUMNS else None)
            for c in SUMMARY_COLUMNS
        }
    )
    frame = _strings(frame, ("function", "module_name", "path", "kind"))
    frame = frame.astype({"module": "int64", "line": "int64"})
    frame["_g"] = ix.m_g[rows]
    frame = frame.sort_values(["path", "line", "function", "_g"], kind="stable")
    return frame.drop(columns="_g").reset_index(drop=True)


# -- the index shared by coupling, smells and summaries -----------------------------------------

_K = {str(k): NODE_KINDS.index(str(k)) for k in NodeKind}
_IDENT = _K["IDENTIFIER"]
_CALL = _K["CALL"]
_FIELD = _K["FIELD_IDENTIFIER"]
_LITERAL = _K["LITERAL"]
_METHOD = _K["METHOD"]
_PARAM = _K["METHOD_PARAMETER_IN"]
_RETURN = _K["RETURN"]
_REF = _K["METHOD_REF"]
_TYPE_DECL = _K["TYPE_DECL"]
_BLOCK = _K["BLOCK"]
_CONTROL = _K["CONTROL_STRUCTURE"]
_LOCAL = _K["LOCAL"]
_IMPORT = _K["IMPORT"]
_METHOD_RETURN = _K["METHOD_RETURN"]

_FIELD_ACCESS = "<operator>.fieldAccess"
_INDEX_ACCESS = "<operator>.indexAccess"
_COMPREHENSIONS = frozenset(
    str(s) for s in (Subkind.LISTCOMP, Subkind.SETCOMP, Subkind.DICTCOMP, Subkind.GENEXP)
)
_FUNCTIONS = frozenset({str(Subkind.FUNCTION), str(Subkind.LAMBDA)})
_DISPLAYS = {
    "<operator>.tupleLiteral": "tuple",
    "<operator>.listLiteral": "list",
    "<operator>.dictLiteral": "dict",
    "<operator>.setLiteral": "set",
    "<operator>.formatString": "literal:str",
}
_BUILTINS = frozenset(dir(builtins))
_RERAISE = "<re-raise>"
#: How far a path (``a.b[].c()``) is followed into its receivers.
_PATH_DEPTH = 32

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _index(tables: CodeTables) -> _Index:
    """The :class:`_Index` of a program, made once per :class:`CodeTables`."""
    if not isinstance(tables, CodeTables):
        raise TypeError(
            f"expected a workbench CodeTables (CodeTables.read(store, project or CPG)), "
            f"not {type(tables).__name__}"
        )
    ix = _CACHE.get(tables)
    if ix is None:
        ix = _CACHE[tables] = _Index(tables)
    return ix


def _encode(col) -> tuple[np.ndarray, list]:
    """A string column as int32 codes (-1 for null) and its vocabulary."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if not len(arr):
        return np.zeros(0, np.int32), []
    d = pc.dictionary_encode(arr)
    codes = pc.fill_null(d.indices, -1).to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, d.dictionary.to_pylist()


def _strings(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """``frame`` with ``columns`` in pandas' string dtype (also when it is empty)."""
    return frame.astype({c: STRING for c in columns})


def _module_labels(ix: _Index) -> dict[int, tuple[str, str]]:
    """Module key -> (dotted name, path); a module without a name is named by its path or
    key (so that every module has a label)."""
    if "module_labels" not in ix.memo:
        ix.memo["module_labels"] = {
            k: (name or path or str(k), path) for k, (name, path) in ix.module_info.items()
        }
    return ix.memo["module_labels"]


def _module_columns(ix: _Index, keys) -> dict[str, object]:
    """The ``module`` (int64 key), ``module_name`` and ``path`` columns of rows whose module
    keys are ``keys`` (the name and path are null for a key the modules table lacks)."""
    keys = np.asarray(keys, np.int64)
    labels = _module_labels(ix)
    named = [labels.get(k, (None, None)) for k in keys.tolist()]
    return {
        "module": keys,
        "module_name": [n for n, _ in named],
        "path": [p for _, p in named],
    }


def _lists(n: int, rows: np.ndarray, values) -> list[list]:
    """``n`` sorted lists without duplicates: ``values[i]`` goes to list ``rows[i]``."""
    rows = np.asarray(rows, np.int64)
    if not len(rows):
        return [[] for _ in range(n)]
    df = pd.DataFrame({"r": rows, "v": pd.Series(values, dtype=object)})
    df = df[df["v"].notna()].drop_duplicates().sort_values(["r", "v"], kind="stable")
    counts = np.bincount(df["r"].to_numpy(np.int64), minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    values = pa.array(df["v"].tolist())
    return pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), values).to_pylist()


class _Index:
    """Arrays over a :class:`CodeTables` that the structure analyses share: node columns as
    codes, the methods' nesting (classes, folded comprehensions, enclosing functions), the
    targets of stores, the bindings of every scope, decorators and ``self`` parameters."""

    def __init__(self, t: CodeTables) -> None:
        # a proxy: the cache's value must not keep its key (the tables) alive
        self.t = weakref.proxy(t)
        #: results other modules derive from the index, by name (made once)
        self.memo: dict[str, object] = {}
        nodes = t.nodes
        self.n = nodes.num_rows
        self.kind = t.node_kind
        self.parent = t.node_parent
        self.method = t.node_method
        self.line = t.node_line
        self.order = pc.fill_null(nodes["order"], 0).to_numpy().astype(np.int32)
        self.name, self.names = _encode(nodes["name"])
        self.ast, asts = _encode(nodes["ast_type"])
        self.sub, subs = _encode(nodes["subkind"])
        self._ast = {s: i for i, s in enumerate(asts)}
        self._sub = {s: i for i, s in enumerate(subs)}
        self.subs = subs
        self.code_of: dict[str, int] = {s: i for i, s in enumerate(self.names)}
        m = t.methods
        self.m_count = m.num_rows
        self.m_g = m["g"].to_numpy().astype(np.int64)
        self.m_module = m["module"].to_numpy()
        self.m_name: list[str] = m["name"].to_pylist()
        self.m_full: list[str] = m["full_name"].to_pylist()
        self.m_sub: list[str] = m["subkind"].to_pylist()
        self.m_line = pc.fill_null(m["line"], 0).to_numpy().astype(np.int64)
        self.m_params = m["parameters"].to_numpy().astype(np.int64)
        self.m_cyclomatic = m["cyclomatic"].to_numpy().astype(np.int64)
        self.m_generator = m["is_generator"].to_numpy(zero_copy_only=False)
        self.mrow = np.full(self.n, -1, np.int64)
        ok = self.m_g >= 0
        self.mrow[self.m_g[ok]] = np.flatnonzero(ok)
        pm = pc.fill_null(m["parent_method"], -1).to_numpy().astype(np.int64)
        pg = np.full(self.m_count, -1, np.int64)
        has = pm >= 0
        if has.any():
            pg[has] = t.gid(self.m_module[has], pm[has])
        self.m_parent = np.where(pg >= 0, self.mrow[np.maximum(pg, 0)], -1)
        self._nesting()

    # -- codes ------------------------------------------------------------------------------

    def code(self, name: str) -> int:
        """The code of a name (-2, which no node has, when no node has that name)."""
        return self.code_of.get(name, -2)

    def intern(self, name: str) -> int:
        """The code of a name, added to the vocabulary when new."""
        c = self.code_of.get(name)
        if c is None:
            c = self.code_of[name] = len(self.names)
            self.names.append(name)
        return c

    def ast_is(self, *types: str) -> np.ndarray:
        codes = [self._ast[a] for a in types if a in self._ast]
        return np.isin(self.ast, codes) if codes else np.zeros(self.n, bool)

    def sub_is(self, *subkinds: str) -> np.ndarray:
        codes = [self._sub[str(s)] for s in subkinds if str(s) in self._sub]
        return np.isin(self.sub, codes) if codes else np.zeros(self.n, bool)

    def name_is(self, *names: str) -> np.ndarray:
        return np.isin(self.name, [self.code(s) for s in names])

    @cached_property
    def module_info(self) -> dict[int, tuple[str, str]]:
        """Module key -> (dotted name, path)."""
        mods = self.t.modules
        return {
            k: (n, p)
            for k, n, p in zip(
                mods["module"].to_pylist(),
                mods["name"].to_pylist(),
                mods["path"].to_pylist(),
                strict=True,
            )
        }

    @cached_property
    def full(self) -> np.ndarray:
        codes, self._fulls = _encode(self.t.nodes["full_name"])
        return codes

    @cached_property
    def fulls(self) -> list:
        _ = self.full
        return self._fulls

    @cached_property
    def resolution(self) -> tuple[np.ndarray, list]:
        return _encode(self.t.nodes["resolution"])

    # -- methods ----------------------------------------------------------------------------

    def _nesting(self) -> None:
        """Per METHOD row: the function it folds into (comprehensions fold into what holds
        them), its class (a function defined directly in a class body), the nearest class
        body around it, the class method it belongs to, the nearest enclosing function or
        lambda, its module's row, and the last row of its subtree."""
        n = self.m_count
        par = self.m_parent.tolist()
        sub = self.m_sub
        fold = list(range(n))
        encl_class = [-1] * n
        direct = [-1] * n
        member = [-1] * n
        encl_func = [-1] * n
        module = list(range(n))
        class_body, function = str(Subkind.CLASS_BODY), str(Subkind.FUNCTION)
        for r in range(n):
            p = par[r]
            s = sub[r]
            if p < 0:
                encl_class[r] = r if s == class_body else -1
                continue
            if s in _COMPREHENSIONS:
                fold[r] = fold[p]
            module[r] = module[p]
            encl_class[r] = r if s == class_body else encl_class[p]
            if s == function and sub[p] == class_body:
                direct[r] = p
                member[r] = r
            elif s != class_body:
                member[r] = member[p]
            encl_func[r] = p if sub[p] in _FUNCTIONS else encl_func[p]
        last = list(range(n))
        for r in range(n - 1, -1, -1):
            p = par[r]
            if p >= 0 and last[r] > last[p]:
                last[p] = last[r]
        self.m_fold = np.array(fold, np.int64)
        self.m_encl_class = np.array(encl_class, np.int64)
        self.m_class = np.array(direct, np.int64)
        self.m_member = np.array(member, np.int64)
        self.m_encl_func = np.array(encl_func, np.int64)
        self.m_root = np.array(module, np.int64)
        self.m_last = np.array(last, np.int64)
        self.m_is = {s: np.array([x == s for x in sub], bool) for s in set(sub)}

    def m_sub_is(self, *subkinds) -> np.ndarray:
        out = np.zeros(self.m_count, bool)
        for s in subkinds:
            out |= self.m_is.get(str(s), False)
        return out

    @cached_property
    def function_rows(self) -> np.ndarray:
        """Method rows of functions and lambdas."""
        return np.flatnonzero(self.m_sub_is(Subkind.FUNCTION, Subkind.LAMBDA))

    @cached_property
    def node_row(self) -> np.ndarray:
        """The METHOD row holding each node."""
        return self.mrow[self.method] if self.n else np.zeros(0, np.int64)

    @cached_property
    def holder(self) -> np.ndarray:
        """The METHOD row each node counts for: comprehensions folded into their holder."""
        return self.m_fold[self.node_row] if self.n else np.zeros(0, np.int64)

    @cached_property
    def class_rows(self) -> np.ndarray:
        """Method rows of class bodies."""
        return np.flatnonzero(self.m_sub_is(Subkind.CLASS_BODY))

    @cached_property
    def type_decl(self) -> np.ndarray:
        """The TYPE_DECL node of each class body row (-1 for other rows)."""
        out = np.full(self.m_count, -1, np.int64)
        rows = self.class_rows
        out[rows] = self.parent[self.m_g[rows]]
        return out

    # -- structure of the syntax tree --------------------------------------------------------

    @cached_property
    def has_parent(self) -> np.ndarray:
        return self.parent >= 0

    @cached_property
    def first_child(self) -> np.ndarray:
        """The child with order 1 of each node (-1 for none): a call's callee, an
        attribute's or subscript's value, an assignment's first target, a return's value."""
        out = np.full(self.n, -1, np.int64)
        kids = np.flatnonzero(self.has_parent & (self.order == 1))
        out[self.parent[kids]] = kids
        return out

    @cached_property
    def attr(self) -> np.ndarray:
        """For each fieldAccess node, the name code of its attribute (-1 elsewhere)."""
        out = np.full(self.n, -1, np.int32)
        f = np.flatnonzero((self.kind == _FIELD) & self.has_parent)
        out[self.parent[f]] = self.name[f]
        return out

    @cached_property
    def is_field(self) -> np.ndarray:
        return (self.kind == _CALL) & (self.name == self.code(_FIELD_ACCESS))

    @cached_property
    def is_index(self) -> np.ndarray:
        return (self.kind == _CALL) & (self.name == self.code(_INDEX_ACCESS))

    @cached_property
    def is_site(self) -> np.ndarray:
        """Call sites (CALL nodes that are no operator or pattern)."""
        return (self.kind == _CALL) & (self.sub < 0)

    @cached_property
    def callee_of(self) -> np.ndarray:
        """Whether each node is the callee expression of a call site (``f`` of ``f()``)."""
        out = np.zeros(self.n, bool)
        c = self.first_child[np.flatnonzero(self.is_site)]
        out[c[c >= 0]] = True
        return out

    @cached_property
    def statements(self) -> np.ndarray:
        """Whether each node is a statement: a child of a statement list (BLOCK but ``pass``),
        ``pass`` included."""
        lists = (self.kind == _BLOCK) & ~self.sub_is(Subkind.PASS)
        p = np.maximum(self.parent, 0)
        return self.has_parent & lists[p] & (self.kind != _METHOD_RETURN)

    def path(self, g: int) -> str:
        """The chain of names, attributes, subscripts and calls of an expression."""
        parts: list[str] = []
        kind, name, names, first = self.kind, self.name, self.names, self.first_child
        for _ in range(_PATH_DEPTH):
            k = kind[g]
            if k == _IDENT:
                parts.append(names[name[g]])
                break
            if self.is_field[g]:
                a = self.attr[g]
                parts.append("." + (names[a] if a >= 0 else "?"))
            elif self.is_index[g]:
                parts.append("[]")
            elif self.is_site[g]:
                parts.append("()")
            else:
                parts.append("?")
                break
            g = first[g]
            if g < 0:
                parts.append("?")
                break
        else:
            parts.append("...")
        return "".join(reversed(parts))

    def describe(self, g: int) -> str:
        """A short description of an expression (see the module docstring)."""
        k = self.kind[g]
        if k == _LITERAL:
            s = self.subs[self.sub[g]] if self.sub[g] >= 0 else "?"
            return "None" if s == "NoneType" else f"literal:{s}"
        if k == _IDENT:
            return f"name:{self.names[self.name[g]]}"
        if k == _REF:
            return self.names[self.name[g]].strip("<>") if self.name[g] >= 0 else "lambda"
        if k == _CALL:
            if self.is_site[g]:
                f = self.full[g]
                callee = self.fulls[f] if f >= 0 else self.names[self.name[g]]
                return f"call:{callee}"
            if self.is_field[g]:
                return f"attribute:{self.path(g)}"
            if self.is_index[g]:
                return f"subscript:{self.path(g)}"
            op = self.names[self.name[g]] if self.name[g] >= 0 else "?"
            return _DISPLAYS.get(op, "operator:" + op.removeprefix("<operator>."))
        return NODE_KINDS[k].lower()

    # -- stores ------------------------------------------------------------------------------

    @cached_property
    def targets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(store, augmented, deleted)``: the nodes an assignment, augmented assignment,
        ``for``/``with`` target, ``del``, walrus or ``match`` capture binds or unbinds (names,
        attributes, subscripts; unpacking followed), those that are also read (``x += 1``)
        and those deleted."""
        n = self.n
        kind, order, par, ast = self.kind, self.order, self.parent, self.ast
        hp = self.has_parent
        p = np.maximum(par, 0)
        store = np.zeros(n, bool)
        aug = np.zeros(n, bool)
        assign_codes = [c for s, c in self.code_of.items() if s.startswith("<operator>.assignment")]
        is_assign = (kind == _CALL) & np.isin(self.name, assign_codes)
        kids = np.flatnonzero(hp & is_assign[p])
        if len(kids):
            pk = par[kids]
            maxo = np.zeros(n, np.int32)
            np.maximum.at(maxo, pk, order[kids])
            plain = ast[pk] == self._ast.get("Assign", -2)
            t = np.where(plain, order[kids] < maxo[pk], order[kids] == 1)
            store[kids[t]] = True
            aug[kids[t & (ast[pk] == self._ast.get("AugAssign", -2))]] = True
        control = kind == _CONTROL
        kids = np.flatnonzero(hp & control[p])
        if len(kids):
            pk = par[kids]
            s_for = self._sub.get(str(Subkind.FOR), -2)
            s_with = self._sub.get(str(Subkind.WITH), -2)
            t = (self.sub[pk] == s_for) & (order[kids] == 1)
            t |= (self.sub[pk] == s_with) & (order[kids] % 2 == 0) & (kind[kids] != _BLOCK)
            store[kids[t]] = True
        deleted = np.zeros(n, bool)
        dele = (kind == _CALL) & (self.name == self.code("<operator>.delete"))
        kids = np.flatnonzero(hp & dele[p])
        store[kids] = True
        deleted[kids] = True
        seq = (kind == _CALL) & self.name_is(
            "<operator>.tupleLiteral", "<operator>.listLiteral", "<operator>.starred"
        )
        kids = np.flatnonzero(hp & seq[p])
        pk = par[kids]
        while True:  # nested unpacking: one level per round
            new = store[pk] & ~store[kids]
            if not new.any():
                break
            store[kids[new]] = True
            deleted[kids[new]] = deleted[pk[new]]
        pattern = (kind == _CALL) & self.sub_is(Subkind.PATTERN)
        store |= (kind == _IDENT) & (ast != self._ast.get("Name", -2)) & hp & pattern[p]
        return store, aug, deleted

    # -- scopes ------------------------------------------------------------------------------

    @cached_property
    def declared(self) -> tuple[np.ndarray, np.ndarray]:
        """``(global keys, nonlocal keys)``: ``row * W + name`` of the names each scope
        declares ``global`` / ``nonlocal`` (``global a, b`` is one LOCAL node)."""
        out = []
        for subkind in (Subkind.GLOBAL, Subkind.NONLOCAL):
            nodes = np.flatnonzero((self.kind == _LOCAL) & self.sub_is(subkind))
            rows, codes = [], []
            for g, r in zip(nodes.tolist(), self.holder[nodes].tolist(), strict=True):
                c = self.name[g]
                for part in (self.names[c] if c >= 0 else "").split(","):
                    if part.strip():
                        rows.append(r)
                        codes.append(self.intern(part.strip()))
            out.append(self.keys(np.array(rows, np.int64), np.array(codes, np.int64)))
        return out[0], out[1]

    @property
    def width(self) -> int:
        """The multiplier of a (scope row, name code) key; stays above every name code."""
        return 1 << 32

    def keys(self, rows, codes) -> np.ndarray:
        return np.asarray(rows, np.int64) * self.width + np.asarray(codes, np.int64)

    @cached_property
    def bindings(self) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``(node, scope row, name code)`` of every binding, by how it binds: ``param``,
        ``store`` (names an assignment-like target binds), ``import``, ``def`` (``def`` and
        ``class`` statements), ``except`` (``except E as name``), ``annotation`` (``x: int``,
        which binds no value but makes the name local)."""
        store, _, _ = self.targets
        kind = self.kind
        out = {}
        g = np.flatnonzero(kind == _PARAM)
        out["param"] = (g, self.node_row[g], self.name[g])
        g = np.flatnonzero(store & (kind == _IDENT))
        out["store"] = (g, self.holder[g], self.name[g])
        g = np.flatnonzero((kind == _IMPORT) & self.sub_is(Subkind.ALIAS) & (self.name >= 0))
        g = g[self.name[g] != self.code("*")]
        out["import"] = (g, self.holder[g], self.name[g])
        defs = (kind == _REF) & self.ast_is("FunctionDef", "AsyncFunctionDef")
        g = np.flatnonzero(defs | (kind == _TYPE_DECL))
        out["def"] = (g, self.holder[g], self.name[g])
        g = np.flatnonzero((kind == _CONTROL) & self.sub_is(Subkind.EXCEPT) & (self.name >= 0))
        out["except"] = (g, self.holder[g], self.name[g])
        g = np.flatnonzero((kind == _LOCAL) & self.sub_is(Subkind.ANNOTATION) & (self.name >= 0))
        out["annotation"] = (g, self.holder[g], self.name[g])
        return out

    @cached_property
    def scope_keys(self) -> dict[str, np.ndarray]:
        """Sorted keys of the bindings: ``param``, ``local`` (every other binding) and
        ``module`` (what module bodies bind, and the names functions declare ``global``
        and bind)."""
        b = self.bindings
        param = np.unique(self.keys(b["param"][1], b["param"][2]))
        local_parts = [self.keys(b[k][1], b[k][2]) for k in b if k != "param"]
        local = np.unique(np.concatenate(local_parts)) if local_parts else np.zeros(0, np.int64)
        glob, _ = self.declared
        # a global declared and bound in a function binds the name at module level
        rows = local // self.width
        bound_global = np.isin(local, glob)
        mod = np.concatenate(
            [
                local[self.m_sub_is(Subkind.MODULE)[rows]] if len(local) else local,
                self.keys(self.m_root[rows[bound_global]], local[bound_global] % self.width),
            ]
        )
        return {"param": param, "local": local, "module": np.unique(mod)}

    def classify(self, rows: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """The scope a name used in a scope refers to: 0 parameter, 1 local, 2 free,
        3 global, 4 builtin."""
        rows = np.asarray(rows, np.int64)
        codes = np.asarray(codes, np.int64)
        k = self.keys(rows, codes)
        glob, nonl = self.declared
        sk = self.scope_keys
        out = np.full(len(k), -1, np.int8)
        out[np.isin(k, glob)] = 3
        out[(out < 0) & np.isin(k, nonl)] = 2
        out[(out < 0) & np.isin(k, sk["param"])] = 0
        out[(out < 0) & np.isin(k, sk["local"])] = 1
        todo = np.flatnonzero(out < 0)
        anc = self.m_encl_func[rows[todo]]
        while True:  # up the enclosing functions, one level per round
            live = anc >= 0
            if not live.any():
                break
            todo, anc = todo[live], anc[live]
            ak = self.keys(anc, codes[todo])
            gl = np.isin(ak, glob)
            bound = np.isin(ak, nonl) | np.isin(ak, sk["param"]) | np.isin(ak, sk["local"])
            out[todo[gl]] = 3
            out[todo[bound & ~gl]] = 2
            more = ~(gl | bound)
            todo, anc = todo[more], self.m_encl_func[anc[more]]
        todo = np.flatnonzero(out < 0)
        if len(todo):
            mk = self.keys(self.m_root[rows[todo]], codes[todo])
            at_module = np.isin(mk, sk["module"])
            builtin = (
                np.array([self.names[c] in _BUILTINS for c in codes[todo].tolist()], bool)
                & ~at_module
            )
            out[todo] = np.where(builtin, 4, 3)
        return out

    # -- decorators and methods of classes ------------------------------------------------------

    @cached_property
    def decorators(self) -> tuple[np.ndarray, np.ndarray]:
        """``(METHOD_REF or TYPE_DECL node, last name of the decorator)``: a decorator is a
        child written on a line before the ``def``/``class`` line (``@a.b(...)``: ``b``)."""
        owners = (self.kind == _REF) | (self.kind == _TYPE_DECL)
        p = np.maximum(self.parent, 0)
        kids = np.flatnonzero(self.has_parent & owners[p] & (self.kind != _METHOD))
        kids = kids[self.line[kids] < self.line[self.parent[kids]]]
        names = np.full(len(kids), -1, np.int64)
        for i, g in enumerate(kids.tolist()):
            e = g
            if self.is_site[e]:
                e = self.first_child[e]
            if e >= 0 and self.is_field[e]:
                names[i] = self.attr[e]
            elif e >= 0 and self.kind[e] == _IDENT:
                names[i] = self.name[e]
        return self.parent[kids], names

    def decorated_with(self, *names: str) -> np.ndarray:
        """Per METHOD row: whether its ``def`` has a decorator of one of these names."""
        owner, dec = self.decorators
        hit = owner[np.isin(dec, [self.code(s) for s in names])]
        out = np.zeros(self.m_count, bool)
        ref = np.zeros(self.n, bool)
        ref[hit] = True
        rows = np.arange(self.m_count)
        p = self.parent[self.m_g]
        ok = p >= 0
        out[rows[ok]] = ref[p[ok]]
        return out

    @cached_property
    def decorated(self) -> np.ndarray:
        """Per METHOD row: whether its ``def`` (or ``class``) has any decorator."""
        owner, _ = self.decorators
        ref = np.zeros(self.n, bool)
        ref[owner] = True
        p = self.parent[self.m_g]
        return np.where(p >= 0, ref[np.maximum(p, 0)], False)

    @cached_property
    def self_name(self) -> np.ndarray:
        """Per METHOD row: the name code of the first positional parameter of a method
        defined directly in a class body that is no ``staticmethod`` (``self``, ``cls``);
        -1 elsewhere."""
        out = np.full(self.m_count, -1, np.int64)
        params = np.flatnonzero(
            (self.kind == _PARAM)
            & (self.order == 1)
            & self.sub_is(Subkind.POSITIONAL_ONLY, Subkind.POSITIONAL)
        )
        rows = self.node_row[params]
        ok = self.m_class[rows] >= 0
        out[rows[ok]] = self.name[params[ok]]
        out[self.decorated_with("staticmethod")] = -1
        return out

    @cached_property
    def method_names(self) -> np.ndarray:
        """Sorted ``class row * W + name`` keys of the functions defined in each class body."""
        rows = np.flatnonzero(self.m_class >= 0)
        codes = np.array([self.code(self.m_name[r]) for r in rows.tolist()], np.int64)
        return np.unique(self.keys(self.m_class[rows], codes))

    @cached_property
    def self_access(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(fieldAccess node, class method row, attribute code)`` of every ``self.x``
        where ``self`` is the first parameter of the class method the node belongs to
        (nested functions, lambdas and comprehensions of the method included)."""
        f = np.flatnonzero(self.is_field)
        rec = self.first_child[f]
        ok = rec >= 0
        f, rec = f[ok], rec[ok]
        ok = self.kind[rec] == _IDENT
        f, rec = f[ok], rec[ok]
        member = self.m_member[self.node_row[f]]
        ok = member >= 0
        f, rec, member = f[ok], rec[ok], member[ok]
        ok = (self.self_name[member] >= 0) & (self.name[rec] == self.self_name[member])
        return f[ok], member[ok], self.attr[f[ok]].astype(np.int64)

    # -- call edges ---------------------------------------------------------------------------

    @cached_property
    def calls(self) -> tuple[np.ndarray, np.ndarray, list]:
        """``(site, callee METHOD row, label)`` of the CALL edges into METHODs."""
        s, d, rows = self.t.edges_of(EdgeKind.CALL)
        callee = self.mrow[d] if len(d) else np.zeros(0, np.int64)
        ok = callee >= 0
        labels = self.t.labels(rows[ok]) if ok.any() else []
        return s[ok], callee[ok], labels

    # -- summaries ----------------------------------------------------------------------------

    def summary_lists(self, pos: np.ndarray, n: int) -> dict[str, list[list]]:
        """The list columns of :func:`function_summaries` for the method rows that ``pos``
        numbers ``0..n-1`` (-1: not summarised)."""
        out: dict[str, list[list]] = {}
        names = np.array(self.names, object) if self.names else np.zeros(0, object)
        kind = self.kind
        store, aug, _ = self.targets
        _ = self.declared  # interns the names of global/nonlocal statements first

        # parameters, in order
        g = np.flatnonzero(kind == _PARAM)
        r = pos[self.node_row[g]]
        g, r = g[r >= 0], r[r >= 0]
        order = np.lexsort((self.order[g], r))
        g, r = g[order], r[order]
        counts = np.bincount(r, minlength=n)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        out["parameters"] = pa.LargeListArray.from_arrays(
            pa.array(offsets), pa.array(names[self.name[g]].tolist(), pa.string())
        ).to_pylist()

        # reads (not the name of ``x: int``, which declares it)
        annotation = (kind == _LOCAL) & self.sub_is(Subkind.ANNOTATION)
        declared = self.has_parent & annotation[np.maximum(self.parent, 0)] & (self.order == 1)
        reads = np.flatnonzero(
            (kind == _IDENT) & (self.ast == self._ast.get("Name", -2)) & (~store | aug) & ~declared
        )
        rr = self.holder[reads]
        keep = pos[rr] >= 0
        reads, rr = reads[keep], rr[keep]
        scope = self.classify(rr, self.name[reads])
        for i, col in enumerate(
            ("reads_parameters", "reads_locals", "reads_free", "reads_globals", "reads_builtins")
        ):
            sel = scope == i
            out[col] = _lists(n, pos[rr[sel]], names[self.name[reads[sel]]])

        # writes of names
        glob, nonl = self.declared
        b = self.bindings
        parts = [b[k] for k in ("store", "import", "def", "except")]
        wg = np.concatenate([p[0] for p in parts])
        wr = np.concatenate([p[1] for p in parts])
        wc = np.concatenate([p[2] for p in parts]).astype(np.int64)
        keep = pos[wr] >= 0
        wg, wr, wc = wg[keep], wr[keep], wc[keep]
        wk = self.keys(wr, wc)
        is_glob = np.isin(wk, glob)
        is_nonl = np.isin(wk, nonl) & ~is_glob
        is_local = ~(is_glob | is_nonl)
        wnames = np.array(self.names, object)[wc] if len(wc) else np.zeros(0, object)
        out["writes_locals"] = _lists(n, pos[wr[is_local]], wnames[is_local])
        out["writes_globals"] = _lists(n, pos[wr[is_glob]], wnames[is_glob])
        out["writes_nonlocals"] = _lists(n, pos[wr[is_nonl]], wnames[is_nonl])

        # writes of attributes and subscripts
        for col, flag in (
            ("writes_attributes", self.is_field),
            ("writes_subscripts", self.is_index),
        ):
            g = np.flatnonzero(store & flag)
            rr = pos[self.holder[g]]
            g, rr = g[rr >= 0], rr[rr >= 0]
            if col == "writes_subscripts":
                g = self.first_child[g]
            out[col] = _lists(n, rr, [self.path(x) if x >= 0 else "?" for x in g.tolist()])

        # raises
        throws = np.flatnonzero(
            (kind == _CONTROL) & self.sub_is(Subkind.THROW) & self.t.node_reachable
        )
        rr = pos[self.holder[throws]]
        throws, rr = throws[rr >= 0], rr[rr >= 0]
        out["raises"] = _lists(n, rr, [self._raised(self.first_child[t]) for t in throws.tolist()])

        # returns
        rets = np.flatnonzero((kind == _RETURN) & self.t.node_reachable)
        rr = pos[self.holder[rets]]
        rets, rr = rets[rr >= 0], rr[rr >= 0]
        vals = [self.describe(c) if c >= 0 else "None" for c in self.first_child[rets].tolist()]
        rows = [rr]
        lam = np.flatnonzero(self.m_sub_is(Subkind.LAMBDA) & (pos >= 0))
        body = self._lambda_bodies(lam)
        ok = body >= 0
        rows.append(pos[lam[ok]])
        vals += [self.describe(c) for c in body[ok].tolist()]
        falls = np.flatnonzero(self.falls_off & (pos >= 0) & ~self.m_sub_is(Subkind.LAMBDA))
        rows.append(pos[falls])
        vals += ["None"] * len(falls)
        out["returns"] = _lists(n, np.concatenate(rows), vals)

        # calls
        site, callee, _ = self.calls
        rr = pos[self.holder[site]] if len(site) else np.zeros(0, np.int64)
        keep = rr >= 0
        linked = np.zeros(self.n, bool)
        linked[site] = True
        res, res_names = self.resolution
        bad = [i for i, s in enumerate(res_names) if s == str(Resolution.UNRESOLVED)]
        loose = np.flatnonzero(
            self.is_site & ~linked & (self.full >= 0) & (res >= 0) & ~np.isin(res, bad)
        )
        lr = pos[self.holder[loose]]
        loose, lr = loose[lr >= 0], lr[lr >= 0]
        fulls = np.array(self.fulls, object) if self.fulls else np.zeros(0, object)
        out["calls"] = _lists(
            n,
            np.concatenate([rr[keep], lr]),
            [self.m_full[c] for c in callee[keep].tolist()] + fulls[self.full[loose]].tolist(),
        )
        return out

    def _raised(self, e: int) -> str:
        if e < 0:
            return _RERAISE
        if self.is_site[e]:
            return self.names[self.name[e]] if self.name[e] >= 0 else self.path(e)
        if self.kind[e] == _IDENT or self.is_field[e]:
            return self.path(e)
        return self.describe(e)

    def _lambda_bodies(self, rows: np.ndarray) -> np.ndarray:
        """The expression each lambda returns (-1 when not found)."""
        out = np.full(len(rows), -1, np.int64)
        if not len(rows):
            return out
        blocks = np.flatnonzero((self.kind == _BLOCK) & self.has_parent)
        body_of = np.full(self.n, -1, np.int64)
        body_of[self.parent[blocks]] = blocks
        b = body_of[self.m_g[rows]]
        ok = b >= 0
        out[ok] = self.first_child[b[ok]]
        return out

    @cached_property
    def falls_off(self) -> np.ndarray:
        """Per METHOD row: a path from the entry reaches the exit through no ``return`` and
        no exception edge (the function can end by falling off its last statement)."""
        s, d, rows = self.t.edges_of(EdgeKind.CFG)
        out = np.zeros(self.m_count, bool)
        if not len(s):
            return out
        labels = self.t.edge_label.take(pa.array(rows, pa.int64()))
        exc = pc.fill_null(pc.equal(labels, str(CfgLabel.EXCEPTION)), False)
        exc = exc.to_numpy(zero_copy_only=False)
        keep = ~exc & (self.kind[s] != _RETURN)
        s, d = s[keep], d[keep]
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import breadth_first_order

        starts = self.m_g[self.function_rows]
        src = np.concatenate([s, np.full(len(starts), self.n)])
        dst = np.concatenate([d, starts])
        graph = csr_matrix((np.ones(len(src), np.int8), (src, dst)), shape=(self.n + 1, self.n + 1))
        seen = breadth_first_order(graph, self.n, directed=True, return_predecessors=False)
        reached = np.zeros(self.n + 1, bool)
        reached[seen] = True
        exits = np.flatnonzero((self.kind == _METHOD_RETURN) & reached[: self.n])
        out[self.node_row[exits]] = True
        return out
