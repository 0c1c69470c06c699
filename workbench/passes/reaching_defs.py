"""Reaching definitions over a CFG, with Python ints as bit sets.

Each CFG node carries its def/use *events* in evaluation order: ``(USE, var, node)``,
``(DEF, var, node)``, ``(KILL, var, node)`` (``del x``: removes every definition of ``x``) or
``(MAYDEF, var, node)`` (a definition that may not happen, such as a walrus target inside a
comprehension: it adds a definition and removes none).
A use inside a node sees the definitions earlier in the same node first; otherwise the
definitions reaching the node's entry. Along an *exceptional* edge the source statement may not
have completed (``x = f()`` raising leaves ``x`` untouched), so such an edge carries the
definitions reaching the source's entry as well as its exit. Unreachable nodes are analysed too
(from an empty entry state), so dead code keeps its own def-use chains. The result is def -> use
pairs labelled with the variable.

Examples
--------
``0: x = 1`` -> ``1: if c`` -> ``2: x = 2`` -> ``3: print(x)``, and ``1 -> 3``:

>>> succ = [[1], [2, 3], [3], []]
>>> events = [
...     [(DEF, "x", 10)],
...     [(USE, "c", 11)],
...     [(DEF, "x", 12)],
...     [(USE, "x", 13)],
... ]
>>> reaching_definitions(succ, events, entry=0)
[(10, 13, 'x'), (12, 13, 'x')]
"""

from __future__ import annotations

from collections.abc import Sequence

from workbench.passes.dominators import predecessors, reverse_postorder

__all__ = ["DEF", "KILL", "MAYDEF", "USE", "reaching_definitions"]

#: Event kinds; the definitions (DEF, MAYDEF) are the odd ones.
USE, DEF, KILL, MAYDEF = 0, 1, 2, 3

Event = tuple[int, str, int]


def reaching_definitions(
    succ: Sequence[Sequence[int]],
    events: Sequence[Sequence[Event] | None],
    entry: int = 0,
    pred: Sequence[Sequence[int]] | None = None,
    rpo: Sequence[int] | None = None,
    exc_pred: Sequence[Sequence[int]] | None = None,
) -> list[tuple[int, int, str]]:
    """Definition-use pairs ``(def_node, use_node, var)`` of one CFG.

    Parameters
    ----------
    succ
        Successor lists of the CFG (index-based).
    events
        ``events[i]``: the def/use events of CFG node ``i`` in evaluation order, or ``None``.
    entry
        Index of the entry node.
    pred, rpo
        Predecessors and reverse postorder, when already computed.
    exc_pred
        ``exc_pred[i]``: the predecessors of ``i`` along exceptional edges.
    """
    defs = _Definitions(events)
    if not defs.node:
        return []
    n = len(succ)
    gen, kill = _gen_kill(events, defs.var_mask, n)
    if rpo is None:
        rpo = reverse_postorder(succ, entry)
    if pred is None:
        pred = predecessors(succ)
    if len(rpo) < n:  # dead code last, so that it sees its own definitions
        reached = set(rpo)
        rpo = list(rpo) + [i for i in range(n) if i not in reached]
    inn = _reaching_in(gen, kill, rpo, pred, exc_pred)
    return _pairs(events, inn, defs)


class _Definitions:
    """The definitions of a CFG, numbered in event order (bit ``k`` of a set is number ``k``).

    Attributes
    ----------
    node : list of int
        Number -> the node that makes the definition.
    var_mask : dict of str to int
        Variable -> the set of its definitions.
    """

    __slots__ = ("node", "var_mask")

    def __init__(self, events: Sequence[Sequence[Event] | None]):
        """Number the DEF events of ``events``."""
        var_mask: dict[str, int] = {}
        node: list[int] = []
        for ev in events:
            if ev:
                for op, var, nid in ev:
                    if op & 1:  # DEF, MAYDEF
                        var_mask[var] = var_mask.get(var, 0) | (1 << len(node))
                        node.append(nid)
        self.node, self.var_mask = node, var_mask


def _gen_kill(
    events: Sequence[Sequence[Event] | None], var_mask: dict[str, int], n: int
) -> tuple[list[int], list[int]]:
    """Per CFG node (``n`` of them): the definitions it makes that reach its exit (gen), and
    the definitions of the variables it defines or deletes (kill)."""
    gen = [0] * n
    kill = [0] * n
    d = 0
    for i, ev in enumerate(events):
        if not ev:
            continue
        last: dict[str, int] = {}
        may: dict[str, int] | None = None
        for op, var, _ in ev:
            if op == DEF:
                last[var] = 1 << d
                d += 1
            elif op == KILL:
                last[var] = 0
            elif op == MAYDEF:  # adds to what reaches, kills nothing
                if var in last:
                    last[var] |= 1 << d
                else:
                    may = may or {}
                    may[var] = may.get(var, 0) | (1 << d)
                d += 1
        if last:
            k = g = 0
            for var, bit in last.items():
                k |= var_mask.get(var, 0)
                g |= bit
            kill[i] = k
            gen[i] = g
        if may:  # a DEF or KILL after a MAYDEF of the same variable overrides it
            gen[i] |= sum(bit for var, bit in may.items() if var not in last)
    return gen, kill


def _reaching_in(
    gen: list[int],
    kill: list[int],
    order: Sequence[int],
    pred: Sequence[Sequence[int]],
    exc_pred: Sequence[Sequence[int]] | None,
) -> list[int]:
    """The definitions reaching each node's entry: the fixpoint of the data-flow equations,
    visiting the nodes in ``order`` until nothing changes."""
    n = len(gen)
    inn = [0] * n
    out = list(gen)
    changed = True
    while changed:
        changed = False
        for b in order:
            x = 0
            for p in pred[b]:
                x |= out[p]
            if exc_pred is not None:
                for p in exc_pred[b]:
                    x |= inn[p]
            inn[b] = x
            o = gen[b] | (x & ~kill[b])
            if o != out[b]:
                out[b] = o
                changed = True
    return inn


def _pairs(
    events: Sequence[Sequence[Event] | None], inn: list[int], defs: _Definitions
) -> list[tuple[int, int, str]]:
    """The def-use pairs: each use sees the definitions earlier in its own node, else those
    reaching the node's entry."""
    def_node, var_mask = defs.node, defs.var_mask
    pairs: list[tuple[int, int, str]] = []
    d = 0
    for i, ev in enumerate(events):
        if not ev:
            continue
        local: dict[str, int] = {}  # variable -> its definitions made earlier in the node
        reach = inn[i]
        for op, var, nid in ev:
            if op == USE:
                m = local[var] if var in local else reach & var_mask.get(var, 0)
                while m:
                    low = m & -m
                    pairs.append((def_node[low.bit_length() - 1], nid, var))
                    m ^= low
            elif op == DEF:
                local[var] = 1 << d
                d += 1
            elif op == KILL:
                local[var] = 0
            else:  # MAYDEF
                # a MAYDEF is a definition: its variable has a mask
                before = local[var] if var in local else reach & var_mask[var]
                local[var] = before | (1 << d)
                d += 1
    return pairs
