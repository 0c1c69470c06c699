"""Control dependence from post-dominators (Ferrante, Ottenstein and Warren, 1987).

Node ``b`` is control dependent on branch ``a`` with label ``l`` when the ``l`` edge out of ``a``
leads to ``b`` on every path while another edge of ``a`` can avoid it: walk the post-dominator
tree from the edge's target up to (not including) ``a``'s immediate post-dominator.

Examples
--------
``0: if c`` -> ``1`` (true) or ``2`` (false) -> ``3``:

>>> succ = [[(1, "true"), (2, "false")], [(3, None)], [(3, None)], []]
>>> ipdom = [3, 3, 3, 3]
>>> control_dependences(succ, ipdom)
[(0, 1, 'true'), (0, 2, 'false')]
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["control_dependences"]


def control_dependences(
    succ: Sequence[Sequence[tuple[int, str | None]]], ipdom: Sequence[int]
) -> list[tuple[int, int, str | None]]:
    """Control-dependence edges ``(branch, dependent, label)``.

    Parameters
    ----------
    succ
        Labelled successor lists ``succ[a] = [(b, label), ...]``.
    ipdom
        Immediate post-dominators (``-1`` where a node cannot reach the exit; the exit is its
        own). A node without one (inside an endless loop) depends on the branch leading into
        it, so ``while True: if c: a()`` still makes ``a()`` depend on ``c``.

    Returns
    -------
    list of tuple
        Sorted by branch, then in edge order; no duplicates.
    """
    out: list[tuple[int, int, str | None]] = []
    for a, outs in enumerate(succ):
        if len({b for b, _ in outs}) < 2:  # not a branch, or every edge leads to one node
            continue
        stop = ipdom[a]
        seen: set[tuple[int, str | None]] = set()
        for b, label in outs:
            runner = b
            while runner != stop and runner != -1:
                key = (runner, label)
                if key not in seen:
                    seen.add(key)
                    out.append((a, runner, label))
                up = ipdom[runner]
                if up == runner:  # the exit: on a post-dominator tree `stop` comes first
                    break  # pragma: no mutate: only reached on a malformed tree, so `return` too
                runner = up
    return out
