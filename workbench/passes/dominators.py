"""Dominators and post-dominators of a control-flow graph.

Graphs here are index-based: nodes are ``0 .. n-1`` and ``succ[i]`` lists the successors of
``i``. This keeps the passes language-neutral and fast; the frontends map their node ids to
indices. Immediate dominators use the iterative algorithm of Cooper, Harvey and Kennedy
("A Simple, Fast Dominance Algorithm", 2001), which on CFG-sized graphs beats Lengauer-Tarjan in
Python.

Examples
--------
A diamond ``0 -> 1 | 2 -> 3``:

>>> succ = [[1, 2], [3], [3], []]
>>> immediate_dominators(succ, 0)
[0, 0, 0, 0]
>>> immediate_dominators(predecessors(succ), 3)  # post-dominators
[3, 3, 3, 3]
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["immediate_dominators", "predecessors", "reverse_postorder"]


def predecessors(succ: Sequence[Sequence[int]]) -> list[list[int]]:
    """Predecessor lists of an index-based graph.

    >>> predecessors([[1, 2], [2], []])
    [[], [0], [0, 1]]
    """
    pred: list[list[int]] = [[] for _ in succ]
    for a, outs in enumerate(succ):
        for b in outs:
            pred[b].append(a)
    return pred


def reverse_postorder(succ: Sequence[Sequence[int]], entry: int) -> list[int]:
    """Nodes reachable from ``entry`` in reverse postorder of a depth-first search.

    >>> reverse_postorder([[1, 2], [3], [3], [], [0]], 0)
    [0, 2, 1, 3]
    """
    seen = [False] * len(succ)
    seen[entry] = True
    post: list[int] = []
    stack = [(entry, iter(succ[entry]))]
    while stack:
        node, it = stack[-1]
        for s in it:
            if not seen[s]:
                seen[s] = True
                stack.append((s, iter(succ[s])))
                break
        else:
            stack.pop()
            post.append(node)
    post.reverse()
    return post


def immediate_dominators(
    succ: Sequence[Sequence[int]],
    entry: int,
    pred: Sequence[Sequence[int]] | None = None,
    rpo: Sequence[int] | None = None,
) -> list[int]:
    """Immediate dominator of every node.

    Parameters
    ----------
    succ
        Successor lists; pass predecessor lists and the exit to get post-dominators.
    entry
        The start node; it is its own immediate dominator.
    pred, rpo
        Predecessor lists and reverse postorder from ``entry`` when already known.

    Returns
    -------
    list of int
        ``idom[i]`` for every node; ``-1`` where ``entry`` does not reach ``i``.

    Examples
    --------
    A loop ``0 -> 1 -> 2 -> 1``, ``1 -> 3``:

    >>> immediate_dominators([[1], [2, 3], [1], []], 0)
    [0, 0, 1, 1]
    """
    if rpo is None:
        rpo = reverse_postorder(succ, entry)
    if pred is None:
        pred = predecessors(succ)
    num = [-1] * len(succ)  # pragma: no mutate: read only for reached nodes, numbered below
    for i, b in enumerate(rpo):
        num[b] = i
    idom = [-1] * len(succ)
    idom[entry] = entry
    rest = rpo[1:]
    changed = True
    while changed:
        changed = False
        for b in rest:
            new = -1
            for p in pred[b]:
                if idom[p] == -1:
                    continue
                if new == -1:
                    new = p
                    continue
                a, c = p, new
                while a != c:
                    while num[a] > num[c]:
                        a = idom[a]
                    while num[c] > num[a]:
                        c = idom[c]
                new = a
            if idom[b] != new:
                idom[b] = new
                changed = True
    return idom
