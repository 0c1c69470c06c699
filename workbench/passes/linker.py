"""Cross-module call linking over CPG tables.

A call resolved to an imported name (``pkg.mod.f``; ``pkg.mod.C`` for a constructor) is looked
up among the functions and classes of all modules, following module-level import aliases
(re-exports such as ``from .util import helper`` in ``pkg/__init__.py``). The index can be fed
from built CPGs or from stored tables, so one module can be (re)linked against a whole store.
New edges are ``CALL`` edges labelled ``import`` carrying the callee's module key in
``dst_module``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from workbench.cpg.graph import CPG
from workbench.cpg.schema import EdgeKind, NodeKind, Resolution, Subkind

__all__ = ["MAX_ALIAS_HOPS", "LinkIndex", "link"]

#: Re-exports followed from one name before giving up (a longer chain is almost surely a
#: cycle the ``target == prefix`` check does not catch, such as ``a.f -> b.f -> a.f``).
MAX_ALIAS_HOPS = 8


def _defs_filter(nodes: pa.Table) -> pa.Table:
    """The node rows the index needs: classes, and import aliases of module bodies."""
    is_type = pc.equal(nodes["kind"], NodeKind.TYPE_DECL)
    is_alias = pc.and_kleene(
        pc.equal(nodes["subkind"], Subkind.ALIAS), pc.equal(nodes["method"], 0)
    )
    return nodes.filter(pc.or_kleene(is_type, is_alias))  # a null is not selected


class LinkIndex:
    """Functions, classes and re-exports of a set of modules, by full name."""

    def __init__(self) -> None:
        self.methods: dict[str, tuple[int, int]] = {}
        self.types: set[str] = set()
        self.aliases: dict[str, str] = {}
        self._cache: dict[str, tuple[int, int] | None] = {}

    @classmethod
    def from_cpgs(cls, cpgs: Iterable[CPG]) -> LinkIndex:
        index = cls()
        for c in cpgs:
            index.add(c.module.name, c.methods, c.nodes)
        return index

    def add(self, names: str | dict[int, str], methods: pa.Table, nodes: pa.Table) -> None:
        """Index rows of one module (``names`` its dotted name) or of many (key -> name)."""
        self._cache.clear()
        m = methods.filter(pc.equal(methods["subkind"], Subkind.FUNCTION))
        for key, full, mid in zip(
            m["module"].to_pylist(),
            m["full_name"].to_pylist(),
            m["id"].to_pylist(),
            strict=True,  # pragma: no mutate: columns of one table are equally long
        ):
            self.methods[full] = (key, mid)
        d = _defs_filter(nodes)
        for key, kind, bound, full in zip(
            d["module"].to_pylist(),
            d["kind"].to_pylist(),
            d["name"].to_pylist(),
            d["full_name"].to_pylist(),
            strict=True,  # pragma: no mutate: columns of one table are equally long
        ):
            if kind == NodeKind.TYPE_DECL:
                self.types.add(full)
            elif full:  # an alias of nothing (a star import: no full name) is no alias
                name = names if isinstance(names, str) else names.get(key)
                if name is not None:
                    self.aliases[f"{name}.{bound}"] = full

    def resolve(self, name: str) -> tuple[int, int] | None:
        """``(module key, METHOD id)`` of a full name, or None (memoised)."""
        try:
            return self._cache[name]
        except KeyError:
            hit = self._cache[name] = self._resolve(name, 0)
            return hit

    def _resolve(self, name: str, depth: int) -> tuple[int, int] | None:
        """Look ``name`` up, following the alias of its longest aliased prefix."""
        if depth > MAX_ALIAS_HOPS:
            return None
        if name in self.methods:
            return self.methods[name]
        if name in self.types:
            return self.methods.get(name + ".__init__")
        parts = name.split(".")
        for i in range(len(parts), 1, -1):  # an alias is "module.name": two parts at least
            prefix = ".".join(parts[:i])
            target = self.aliases.get(prefix)
            if target is not None:
                if target == prefix:
                    return None
                return self._resolve(".".join([target, *parts[i:]]), depth + 1)
        return None

    def link(self, cpg: CPG) -> CPG:
        """The CPG with its cross-module CALL edges (re)computed against this index."""
        e = cpg.edges
        local = e.filter(pc.is_null(e["dst_module"]))
        n = cpg.nodes
        calls = n.filter(pc.fill_null(pc.equal(n["resolution"], Resolution.IMPORT), False))
        src, dst, dmod = [], [], []
        for cid, full in zip(
            calls["id"].to_pylist(),
            calls["full_name"].to_pylist(),
            strict=True,  # pragma: no mutate: columns of one table are equally long
        ):
            hit = self.resolve(full)
            if hit is not None and hit[0] != cpg.module.key:
                src.append(cid)
                dst.append(hit[1])
                dmod.append(hit[0])
        if not src and local.num_rows == e.num_rows:
            return cpg
        extra = pa.table(
            {
                "module": [cpg.module.key] * len(src),
                "src": src,
                "dst": dst,
                "kind": [str(EdgeKind.CALL)] * len(src),
                "label": [str(Resolution.IMPORT)] * len(src),
                "dst_module": dmod,
            },
            schema=e.schema,
        )
        return CPG(cpg.nodes, pa.concat_tables([local, extra]), cpg.methods, cpg.module)


def link(cpgs: dict[str, CPG]) -> dict[str, CPG]:
    """Link the modules of one project against each other."""
    index = LinkIndex.from_cpgs(cpgs.values())
    return {rel: index.link(c) for rel, c in cpgs.items()}
