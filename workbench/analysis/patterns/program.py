"""The code a scan reads: the modules of a store or a project, indexed lazily per module.

:class:`Program` gives the matchers and the taint engine one view of either source: the
module list, a cheap columnar pass over every node (to find candidate modules), and a
:class:`ModuleIndex` per module -- parents, children, def-use, arguments, receivers, call
targets, control dependence -- built only for the modules a rule touches.
"""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.cpg.schema import EdgeKind, NodeKind, Subkind

__all__ = ["ModuleIndex", "Program"]

#: Node columns the index keeps.
NODE_COLUMNS = [
    "module",
    "id",
    "kind",
    "subkind",
    "ast_type",
    "name",
    "full_name",
    "code",
    "line",
    "col",
    "end_line",
    "parent",
    "order",
    "method",
    "resolution",
    "reachable",
]
_EDGE_KINDS = [
    str(k)
    for k in (
        EdgeKind.REACHING_DEF,
        EdgeKind.ARGUMENT,
        EdgeKind.RECEIVER,
        EdgeKind.CALL,
        EdgeKind.CDG,
    )
]
_COMPREHENSIONS = {Subkind.LISTCOMP, Subkind.SETCOMP, Subkind.DICTCOMP, Subkind.GENEXP}
_BUILTINS = frozenset(dir(builtins))
_DEAD_TESTS = frozenset({"False", "0", "None", "''", '""'})


@dataclass(frozen=True)
class ModuleRef:
    key: int
    path: str
    name: str


class ModuleIndex:
    """One module's CPG as Python lists indexed by node id, with the edge maps the matchers
    need. Built from the module's ``cpg_nodes`` and ``cpg_edges`` rows."""

    def __init__(self, ref: ModuleRef, nodes: pa.Table, edges: pa.Table) -> None:
        self.ref = ref
        self.key = ref.key
        nodes = nodes.sort_by("id")
        ids = nodes["id"].to_pylist()
        if ids != list(range(len(ids))):  # pragma: no cover - ids are dense pre-order
            raise ValueError(f"module {ref.path}: node ids are not dense")
        col = {c: nodes[c].to_pylist() for c in NODE_COLUMNS[2:]}
        self.kind: list[str] = col["kind"]
        self.subkind: list[str | None] = col["subkind"]
        self.ast_type: list[str | None] = col["ast_type"]
        self.name: list[str | None] = col["name"]
        self.full_name: list[str | None] = col["full_name"]
        self.code: list[str | None] = col["code"]
        self.line: list[int | None] = col["line"]
        self.col: list[int | None] = col["col"]
        self.end_line: list[int | None] = col["end_line"]
        self.parent: list[int | None] = col["parent"]
        self.order: list[int | None] = col["order"]
        self.method: list[int] = col["method"]
        self.resolution: list[str | None] = col["resolution"]
        self.reachable: list[bool] = col["reachable"]
        n = len(ids)
        kids: list[list[int]] = [[] for _ in range(n)]
        for i, (p, o) in enumerate(zip(self.parent, self.order, strict=True)):
            if p is not None:
                kids[p].append((o or 0, i))
        self.children: list[list[int]] = [[i for _, i in sorted(k)] if k else [] for k in kids]
        self.rd_out: dict[int, list[int]] = defaultdict(list)
        self.rd_in: dict[int, list[int]] = defaultdict(list)
        self.rd_var: dict[int, str] = {}
        self.args: dict[int, list[tuple[str, int]]] = defaultdict(list)
        self.receiver: dict[int, int] = {}
        self.calls: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self.cdg: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
        e = edges.filter(pc.is_in(edges["kind"], pa.array(_EDGE_KINDS)))
        for s, d, k, lab, dm in zip(
            e["src"].to_pylist(),
            e["dst"].to_pylist(),
            e["kind"].to_pylist(),
            e["label"].to_pylist(),
            e["dst_module"].to_pylist(),
            strict=True,
        ):
            if k == "REACHING_DEF":
                self.rd_out[s].append(d)
                self.rd_in[d].append(s)
                self.rd_var[d] = lab
            elif k == "ARGUMENT":
                self.args[s].append((lab, d))
            elif k == "RECEIVER":
                self.receiver[s] = d
            elif k == "CALL":
                t = (ref.key if dm is None else dm, d)
                if t not in self.calls[s]:
                    self.calls[s].append(t)
            elif k == "CDG":
                self.cdg[s].append((d, lab))

    def __len__(self) -> int:
        return len(self.kind)

    # -- structure --------------------------------------------------------------------------

    @cached_property
    def aliases(self) -> dict[str, str]:
        """Local name -> full name of every module-level import binding."""
        out = {}
        for i, (k, sk) in enumerate(zip(self.kind, self.subkind, strict=True)):
            top = self.method[i] == 0 and self.name[i] and self.full_name[i]
            if k == NodeKind.IMPORT and sk == Subkind.ALIAS and top:
                out[self.name[i]] = self.full_name[i]
        return out

    @cached_property
    def top_level(self) -> dict[str, str]:
        """Names that module-level ``def``/``class`` statements bind -> their full names."""
        out = {}
        for i, k in enumerate(self.kind):
            top = self.method[i] == 0 and self.name[i] and self.full_name[i]
            if k in (NodeKind.METHOD_REF, NodeKind.TYPE_DECL) and top:
                out[self.name[i]] = self.full_name[i]
        return out

    @cached_property
    def last(self) -> list[int]:
        """The last node id of each node's subtree (ids are pre-order)."""
        out = list(range(len(self.kind)))
        for i in range(len(out) - 1, -1, -1):
            kids = self.children[i]
            if kids:
                out[i] = max(i, *(out[c] for c in kids))
        return out

    @cached_property
    def top_assignments(self) -> dict[str, list[int]]:
        """Name -> the module-level (unconditional) assignment statements binding it."""
        out: dict[str, list[int]] = defaultdict(list)
        body = [c for c in self.children[0] if self.kind[c] == NodeKind.BLOCK] if self.kind else []
        for block in body[:1]:
            for stmt in self.children[block]:
                if self.name[stmt] == "<operator>.assignment" and self.ast_type[stmt] == "Assign":
                    kids = self.children[stmt]
                    for t in kids[:-1]:
                        if self.kind[t] == NodeKind.IDENTIFIER:
                            out[self.name[t]].append(stmt)
        return out

    @cached_property
    def methods(self) -> list[int]:
        """METHOD node ids."""
        return [i for i, k in enumerate(self.kind) if k == NodeKind.METHOD]

    @cached_property
    def node_lists(self) -> tuple[list[int], list[int], list[int]]:
        """Reachable call sites, attribute reads, and identifiers that name an import."""
        calls, fields, imported = [], [], []
        aliases = self.aliases
        for n, k in enumerate(self.kind):
            if not self.reachable[n]:
                continue
            if k == NodeKind.CALL:
                if self.subkind[n] is None:
                    calls.append(n)
                elif self.name[n] == "<operator>.fieldAccess":
                    fields.append(n)
            elif k == NodeKind.IDENTIFIER and self.name[n] in aliases:
                imported.append(n)
        return calls, fields, imported

    def closure(self, node: int, branch: str) -> set[int]:
        """Nodes control dependent on ``node`` taking ``branch``, transitively."""
        todo = [d for d, lab in self.cdg.get(node, ()) if lab == branch and d != node]
        seen: set[int] = set()
        while todo:
            d = todo.pop()
            if d in seen:
                continue
            seen.add(d)
            todo += [x for x, _ in self.cdg.get(d, ()) if x not in seen and x != node]
        return seen

    def subtree(self, node: int) -> range:
        """The ids of a node's syntax subtree (contiguous: ids are pre-order)."""
        return range(node, self.last[node] + 1)

    def dead_nodes(self, unit: int) -> set[int]:
        """Nodes under ``if False:`` / ``while 0:`` in a unit (the CFG keeps them
        reachable; no run of the program does)."""
        cache = self.__dict__.setdefault("_dead", {})
        if unit not in cache:
            dead: set[int] = set()
            for n in self.unit_nodes.get(unit, ()):
                if (
                    self.kind[n] == NodeKind.LITERAL
                    and self.code[n] in _DEAD_TESTS
                    and self.cdg.get(n)
                ):
                    for stmt in self.closure(n, "true"):
                        dead.update(self.subtree(stmt))
            cache[unit] = dead
        return cache[unit]

    def unit_facts(self, unit: int) -> tuple[list[int], set[str]]:
        """A unit's ``except ... as name`` handlers and the names it declares ``global``."""
        cache = self.__dict__.setdefault("_facts", {})
        if unit not in cache:
            handlers, globals_ = [], set()
            for n in self.unit_nodes.get(unit, ()):
                k = self.kind[n]
                if k == NodeKind.CONTROL_STRUCTURE and self.subkind[n] == Subkind.EXCEPT:
                    if self.name[n]:
                        handlers.append(n)
                elif k == NodeKind.LOCAL and self.subkind[n] == Subkind.GLOBAL:
                    globals_.add(self.name[n])
            cache[unit] = (handlers, globals_)
        return cache[unit]

    def unit_inputs(self, unit: int) -> list[int]:
        """The nodes of a unit where data may come from outside it: free variable reads,
        call sites with known callees, attribute reads (reachable ones only)."""
        cache = self.__dict__.setdefault("_inputs", {})
        if unit not in cache:
            out = []
            for n in self.unit_nodes.get(unit, ()):
                if not self.reachable[n]:
                    continue
                k = self.kind[n]
                if k == NodeKind.IDENTIFIER:
                    if not self.rd_in.get(n) and not self.rd_out.get(n):
                        out.append(n)
                elif k == NodeKind.CALL and (
                    (self.subkind[n] is None and self.calls.get(n)) or self.is_field(n)
                ):
                    out.append(n)
            cache[unit] = out
        return cache[unit]

    def nested_in(self, method: int, outer: int) -> bool:
        """Whether ``method`` is defined (at any depth) inside ``outer``, or is it."""
        m: int | None = method
        while m is not None:
            if m == outer:
                return True
            m = self.enclosing(m) if m != 0 else None
        return False

    def enclosing(self, method: int) -> int | None:
        """The method that defines ``method`` (None for the module)."""
        p = self.parent[method]
        return None if p is None else self.method[p]

    def unit(self, node: int) -> int:
        """The analysis unit of a node: its method, comprehensions folded into theirs."""
        return self.unit_of[node]

    @cached_property
    def unit_of(self) -> list[int]:
        """The analysis unit of every node (pre-order: a method's unit is known before its
        nodes')."""
        out = list(self.method)
        for i, m in enumerate(self.method):
            if m == i:
                out[i] = (
                    out[self.method[self.parent[i]]] if self.subkind[i] in _COMPREHENSIONS else i
                )
            else:
                out[i] = out[m]
        return out

    @cached_property
    def unit_nodes(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = defaultdict(list)
        for i, u in enumerate(self.unit_of):
            out[u].append(i)
        return out

    def params(self, method: int) -> list[int]:
        """METHOD_PARAMETER_IN nodes of a method, in order."""
        return [c for c in self.children[method] if self.kind[c] == NodeKind.METHOD_PARAMETER_IN]

    def decorators(self, method: int) -> list[int]:
        """Decorator expressions of a ``def`` (children of its METHOD_REF)."""
        ref = self.parent[method]
        if ref is None or self.kind[ref] != NodeKind.METHOD_REF:
            return []
        return [c for c in self.children[ref] if c != method]

    def decorator_names(self, method: int) -> list[str]:
        out = []
        for d in self.decorators(method):
            target = d
            if self.kind[d] == NodeKind.CALL and self.subkind[d] is None:
                if self.full_name[d]:
                    out.append(self.full_name[d])
                target = self.children[d][0] if self.children[d] else d
            name = self.dotted(target)
            if name:
                out.append(name)
            if self.code[target]:
                out.append(self.code[target])
        return out

    def class_of(self, method: int) -> str | None:
        """Full name of the class whose body defines ``method`` (None outside classes)."""
        enc = self.enclosing(method)
        if enc is None or self.subkind[enc] != Subkind.CLASS_BODY:
            return None
        fn = self.full_name[enc] or ""
        return fn[: -len(".<body>")] if fn.endswith(".<body>") else fn

    def is_static(self, method: int) -> bool:
        return "staticmethod" in self.decorator_names(method)

    def dotted(self, node: int) -> str | None:
        """The full dotted name an IDENTIFIER or attribute chain denotes through the module's
        imports, definitions and builtins (``req.args`` -> ``flask.request.args``)."""
        cache = self.__dict__.setdefault("_dotted_names", {})
        if node not in cache:
            cache[node] = self._dotted(node)
        return cache[node]

    def _dotted(self, node: int) -> str | None:
        parts = []
        n = node
        while self.kind[n] == NodeKind.CALL and self.name[n] == "<operator>.fieldAccess":
            kids = self.children[n]
            if len(kids) != 2:
                return None
            parts.append(self.name[kids[1]])
            n = kids[0]
        if self.kind[n] != NodeKind.IDENTIFIER:
            return None
        base = self.name[n]
        if base in self.aliases:
            head = self.aliases[base]
        elif base in self.top_level:
            head = self.top_level[base]
        elif base in _BUILTINS:
            head = f"builtins.{base}"
        else:
            head = base
        return ".".join([head, *reversed(parts)]) if parts else head

    def field(self, node: int) -> str | None:
        """The attribute name of a fieldAccess node."""
        kids = self.children[node]
        return self.name[kids[1]] if len(kids) == 2 else None

    def is_field(self, node: int) -> bool:
        return self.kind[node] == NodeKind.CALL and self.name[node] == "<operator>.fieldAccess"

    def is_index(self, node: int) -> bool:
        return self.kind[node] == NodeKind.CALL and self.name[node] == "<operator>.indexAccess"

    def is_call(self, node: int) -> bool:
        return self.kind[node] == NodeKind.CALL and self.subkind[node] is None

    def callee_name(self, call: int) -> str | None:
        """The written short name of a call's callee (``execute`` of ``cur.execute(q)``)."""
        n = self.name[call]
        return n.rpartition(".")[2] if n else None

    def arg(self, call: int, label: str) -> int | None:
        for lab, node in self.args.get(call, ()):
            if lab == label:
                return node
        return None


class Program:
    """The modules of a store or a project, read lazily.

    Use :meth:`from_store` or :meth:`from_project`.
    """

    def __init__(
        self,
        refs: Iterable[ModuleRef],
        loader,
        scanner,
        call_rows: pa.Table,
        methods,
        source=None,
        root=None,
    ) -> None:
        self.modules: dict[int, ModuleRef] = {r.key: r for r in sorted(refs, key=lambda r: r.path)}
        self._loader = loader
        self._scanner = scanner
        self._methods = methods
        #: The store or project read (for CPGMath), and the source root (for suppressions).
        self.source = source
        self.root = root
        #: Modules that are not scanned (no CPG: a parse error, a failed or pending build):
        #: path, status, error_type, error_message
        self.left_out = pd.DataFrame(columns=["path", "status", "error_type", "error_message"])
        self._index: dict[int, ModuleIndex] = {}
        self._names: dict[str, dict[str, list[tuple[int, int]]]] = {}
        self._call_rows = call_rows

    @classmethod
    def from_project(cls, project) -> Program:
        """A built :class:`~workbench.pipeline.project.Project`; its value-flow call edges
        are added to the syntactic ones."""
        cpgs = {c.module.key: c for c in project.cpgs.values()}
        refs = [
            ModuleRef(c.module.key, c.module.path or c.module.name, c.module.name)
            for c in cpgs.values()
        ]
        extra = project.call_edges()
        by_module: dict[int, pa.Table] = {}
        if extra.num_rows:
            for k in set(extra["module"].to_pylist()):
                by_module[k] = extra.filter(pc.equal(extra["module"], k))

        def edges(key: int) -> pa.Table:
            e = cpgs[key].edges
            if key in by_module:
                e = pa.concat_tables([e, by_module[key].cast(e.schema)])
            return e

        def loader(key: int) -> tuple[pa.Table, pa.Table]:
            return cpgs[key].nodes.select(NODE_COLUMNS), edges(key)

        def scanner(columns: list[str]) -> pa.Table:
            tables = [c.nodes.select(columns) for c in cpgs.values()]
            return pa.concat_tables(tables) if tables else None

        def methods() -> pa.Table | None:
            tables = [c.methods for c in cpgs.values()]
            return pa.concat_tables(tables) if tables else None

        calls = [edges(k) for k in cpgs]
        call_rows = _call_rows(pa.concat_tables(calls) if calls else None)
        prog = cls(refs, loader, scanner, call_rows, methods, project, project.root)
        bad = project.failures
        prog.left_out = pd.DataFrame(
            {
                "path": bad["path"],
                "status": bad["parse_status"],
                "error_type": bad["error_type"],
                "error_message": bad["error_message"],
            }
        )
        return prog

    @classmethod
    def from_store(cls, store) -> Program:
        """The modules of a store whose CPG is built (``cpg_status`` ok)."""
        store.require_cpg()
        everything = store.read_table("modules")
        mods = everything.filter(pc.equal(everything["cpg_status"], "ok"))
        bad = everything.filter(pc.invert(pc.equal(everything["cpg_status"], "ok")))
        refs = [
            ModuleRef(k, p, n)
            for k, p, n in zip(
                mods["module"].to_pylist(),
                mods["path"].to_pylist(),
                mods["name"].to_pylist(),
                strict=True,
            )
        ]
        keys = pa.array([r.key for r in refs], pa.int64())
        # one read of each table (a read per module costs more than all of them together);
        # modules are sliced out of them, zero-copy, when first used
        nodes = _ByModule(
            store.read_table("cpg_nodes", pc.field("module").isin(keys), columns=NODE_COLUMNS)
        )
        edges = _ByModule(
            store.read_table(
                "cpg_edges",
                pc.field("module").isin(keys) & pc.field("kind").isin(pa.array(_EDGE_KINDS)),
            )
        )

        def loader(key: int) -> tuple[pa.Table, pa.Table]:
            return nodes.slice(key), edges.slice(key)

        def scanner(columns: list[str]) -> pa.Table:
            return nodes.table.select(columns)

        e = store.read_table(
            "cpg_edges",
            (pc.field("kind") == "CALL") & pc.field("module").isin(keys),
            columns=["module", "src", "dst", "kind", "label", "dst_module"],
        )

        def methods() -> pa.Table:
            return store.read_table("cpg_methods", pc.field("module").isin(keys))

        prog = cls(refs, loader, scanner, _call_rows(e), methods, store, store.last_source())
        left = bad.select(["path", "cpg_status", "error_type", "error_message"]).to_pandas()
        left = left.rename(columns={"cpg_status": "status"}).sort_values("path")
        prog.left_out = left.reset_index(drop=True)
        return prog

    @cached_property
    def module_keys(self) -> dict[str, int]:
        """Dotted module name -> module key."""
        return {r.name: k for k, r in self.modules.items()}

    def index(self, key: int) -> ModuleIndex:
        """The module's index (built on first use)."""
        ix = self._index.get(key)
        if ix is None:
            nodes, edges = self._loader(key)
            ix = self._index[key] = ModuleIndex(self.modules[key], nodes, edges)
        return ix

    def names_in(self, kind: str, module: int, name: str) -> list[int]:
        """The methods of one module holding a node of a kind naming ``name``."""
        key = ("in", kind)
        if key not in self._names:
            by: dict[tuple[int, str], list[int]] = defaultdict(list)
            for n, where in self.names(kind).items():
                for m, method in where:
                    by[(m, n)].append(method)
            self._names[key] = by
        return self._names[key].get((module, name), [])

    def module_of(self, full_name: str) -> int | None:
        """The key of the module a dotted full name lives in (its longest module prefix)."""
        parts = full_name.split(".")
        for i in range(len(parts) - 1, 0, -1):
            key = self.module_keys.get(".".join(parts[:i]))
            if key is not None:
                return key
        return None

    def names(self, kind: str) -> dict[str, list[tuple[int, int]]]:
        """Name -> (module, method) of the nodes of a kind naming it: ``IDENTIFIER``,
        ``FIELD_IDENTIFIER``, ``IMPORT`` (aliases by full name) or ``EXCEPT`` (handlers that
        bind a name; all under the key ``""``). Computed once per kind."""
        if kind not in self._names:
            t = self.scan(["module", "kind", "subkind", "name", "full_name", "method"])
            out: dict[str, list[tuple[int, int]]] = defaultdict(list)
            if t is not None:
                if kind == "EXCEPT":
                    t = t.filter(pc.equal(t["subkind"], str(Subkind.EXCEPT)))
                    t = t.filter(pc.is_valid(t["name"]))
                    col = pa.array([""] * t.num_rows, pa.string())
                elif kind == "IMPORT":
                    t = t.filter(pc.equal(t["subkind"], str(Subkind.ALIAS)))
                    col = t["full_name"]
                else:
                    t = t.filter(pc.equal(t["kind"], kind))
                    col = t["name"]
                pairs = pa.table({"n": col, "module": t["module"], "method": t["method"]})
                g = pairs.group_by(["n", "module", "method"]).aggregate([])
                for n, m, meth in zip(
                    g["n"].to_pylist(),
                    g["module"].to_pylist(),
                    g["method"].to_pylist(),
                    strict=True,
                ):
                    if n is not None:
                        out[n].append((m, meth))
            self._names[kind] = out
        return self._names[kind]

    @cached_property
    def call_sites(self) -> dict[tuple[str | None, str | None], list[tuple[int, int]]]:
        """(full name, written name) -> the (module, id) of every call site (not
        operators) with those names; read once for every rule."""
        out: dict[tuple[str | None, str | None], list[tuple[int, int]]] = defaultdict(list)
        t = self.scan(["module", "id", "kind", "subkind", "name", "full_name"])
        if t is not None:
            t = t.filter(pc.and_(pc.equal(t["kind"], str(NodeKind.CALL)), pc.is_null(t["subkind"])))
            for m, i, nm, fn in zip(
                *(t[c].to_pylist() for c in ("module", "id", "name", "full_name")), strict=True
            ):
                out[(fn, nm)].append((m, i))
        return dict(out)

    def methods(self) -> pa.Table | None:
        """The ``cpg_methods`` rows of every module (None for an empty program)."""
        return self._methods() if self.modules else None

    def scan(self, columns: list[str]) -> pa.Table | None:
        """These ``cpg_nodes`` columns of every module (None for an empty program)."""
        return self._scanner(columns) if self.modules else None

    @cached_property
    def callers(self) -> dict[tuple[int, int], list[tuple[int, int]]]:
        """Callee METHOD (module, id) -> the call sites (module, node) that call it."""
        out: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        seen: set[tuple[tuple[int, int], tuple[int, int]]] = set()  # not a scan of each list
        t = self._call_rows
        for m, s, d, dm in zip(
            t["module"].to_pylist(),
            t["src"].to_pylist(),
            t["dst"].to_pylist(),
            t["dst_module"].to_pylist(),
            strict=True,
        ):
            target = (m if dm is None else dm, d)
            if target[0] in self.modules and (target, (m, s)) not in seen:
                seen.add((target, (m, s)))
                out[target].append((m, s))
        return out

    @cached_property
    def call_graph_edges(self) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        """(caller METHOD, callee METHOD) pairs, each once; the caller is the method that
        holds the call site."""
        t = self._call_rows
        if not t.num_rows:
            return []
        nodes = self.scan(["module", "id", "kind", "method"])
        nodes = nodes.filter(pc.equal(nodes["kind"], str(NodeKind.CALL)))
        holder = {
            (m, i): h
            for m, i, h in zip(
                nodes["module"].to_pylist(),
                nodes["id"].to_pylist(),
                nodes["method"].to_pylist(),
                strict=True,
            )
        }
        pairs = set()
        for callee, sites in self.callers.items():
            for m, s in sites:
                if (m, s) in holder:
                    pairs.add(((m, holder[(m, s)]), callee))
        return sorted(pairs)


class _ByModule:
    """A table sorted by module, sliced per module without copying."""

    def __init__(self, table: pa.Table) -> None:
        import numpy as np

        self.table = table.sort_by("module")
        mods = self.table["module"].to_numpy()
        keys, starts = np.unique(mods, return_index=True)
        ends = [*starts[1:], len(mods)] if len(mods) else []
        self._ranges = {
            int(k): (int(a), int(b)) for k, a, b in zip(keys, starts, ends, strict=True)
        }

    def slice(self, key: int) -> pa.Table:
        a, b = self._ranges.get(key, (0, 0))
        return self.table.slice(a, b - a)


def _call_rows(edges: pa.Table | None) -> pa.Table:
    cols = ["module", "src", "dst", "dst_module"]
    if edges is None:
        return pa.table({c: pa.array([], pa.int64()) for c in cols})
    e = edges.filter(pc.equal(edges["kind"], "CALL"))
    return e.select(cols)
