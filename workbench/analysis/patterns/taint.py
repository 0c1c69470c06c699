"""The interprocedural taint engine of taint rules.

The engine follows values over the CPG: definitions to uses (``REACHING_DEF``), operands to
the expressions built from them (``AST``: concatenation, ``%``, f-strings, containers,
attribute and subscript reads), assignment values to their targets (tuples element-wise),
iterables to loop targets, context managers to ``as`` targets, ``match`` subjects to the names
their patterns capture, arguments to parameters and return values to call sites
(``CALL``/``ARGUMENT``/``RECEIVER`` edges, the value-flow call graph's included when the CPG
has them).

**Units and summaries.** Each function (lambda, module body, class body; comprehensions fold
into the function that holds them) is analysed per *seed*: ``S`` (its own sources, and what
reaches it from outside: module variables, class attributes, exceptions and return values of
callees) or a parameter index ``k`` (what it does with the value of parameter ``k``, computed
only when a caller passes tainted data there). A run finds the unit's findings (``S`` reaching
a sink) and its *summary*: which labels reach its return value, a sink inside it (or in what
it calls), a heap location, or an argument's object. A call site applies its callee's summary
to the labels of its arguments, so a helper called with tainted data in one place and
constants in another is told apart (context-sensitive summaries, as in IFDS-style analyses).
Summaries grow monotonically; runs are repeated until nothing changes.

**Every rule at once.** A fact carries the bit mask of the rules whose data it holds: rules
with common sources share the propagation, and each rule's sanitizers, guards, prefixes and
sinks clear or test its own bit.

**Objects and the heap.** Storing into an object (``o.f = t``, ``d[k] = t``,
``xs.append(t)``, ``self.x = t``) taints the object, the names bound to it (``view = parts``)
and, through summaries, what the caller passed; reads of the same attribute of the same
variable in a unit see the store. Class attributes, module variables and closures are heap
locations read by the functions that name them; raised exceptions carry their arguments' taint
to the handlers of the callers.

**Calls with no summary** (functions outside the project, unresolved calls): the result is
tainted when the receiver or any argument is, unless the rule or the library semantics name
the call a sanitizer or a clean call (``int``, ``len``, ...); methods the semantics list as
``store_methods`` (``append``, ``update``, ...) taint their receiver.

**Sanitizers** cut flows at calls; guards (``guard: allowlist`` and a rule's own guard calls)
cut uses of a variable in the branch where a test on it holds (``x in ALLOWED``, ``x == "a"``,
``x.isdigit()``, ``url_has_allowed_host_and_scheme(x)``), and after the ``if`` when the other
branch cannot go on. Code no path reaches (after ``return``, under ``if False:``) is never
analysed.
"""

from __future__ import annotations

import ast
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain

from workbench.analysis.patterns.program import ModuleIndex, Program
from workbench.analysis.patterns.rules import CallPattern, Condition, Rule, Semantics
from workbench.cpg.schema import NodeKind, Subkind

__all__ = ["TaintEngine", "check_conditions"]

S = "S"  # the label of data from a source
Loc = tuple[int, int]  # (module key, node id)
MAX_TRACE = 200
MAX_RUNS = 40  # analyses of one unit before the engine stops refining it
MAX_RAISE = 2  # calls an exception carrying source data is followed up without a handler
#: A call with more project callees than this (a method name the value-flow call graph binds
#: to many classes) is treated like a call with no summary: its result carries the taint of
#: its inputs, no callee is analysed for it
MAX_CALLEES = 8
_COMPREHENSION_KINDS = frozenset(
    {Subkind.LISTCOMP, Subkind.SETCOMP, Subkind.DICTCOMP, Subkind.GENEXP}
)

_NO_FLOW_OPS = frozenset(
    {
        "<operator>.equals",
        "<operator>.notEquals",
        "<operator>.lessThan",
        "<operator>.lessEqualsThan",
        "<operator>.greaterThan",
        "<operator>.greaterEqualsThan",
        "<operator>.is",
        "<operator>.isNot",
        "<operator>.in",
        "<operator>.notIn",
        "<operator>.not",
        "<operator>.logicalNot",
        "<operator>.chainedComparison",
        "<operator>.assert",
    }
)
_LITERALS = frozenset({"<operator>.tupleLiteral", "<operator>.listLiteral"})
_GUARD_TRUE = frozenset({"<operator>.in", "<operator>.equals", "<operator>.is"})
_GUARD_FALSE = frozenset({"<operator>.notIn", "<operator>.notEquals", "<operator>.isNot"})
#: Tests that leave only characters no injection needs where they hold (``isascii`` does
#: not: "a;rm -rf /" is ASCII), and anchored regular-expression matches.
_VALIDATORS = frozenset(
    {
        "isdigit",
        "isdecimal",
        "isnumeric",
        "isalnum",
        "isalpha",
        "isidentifier",
        "fullmatch",
        "match",
    }
)


@dataclass
class Summary:
    """What a unit does with a label, per rule: the traces (first found) of the data that
    reaches its return value, a sink inside it (or in what it calls), or a heap location."""

    returns: dict[object, dict[int, tuple[Loc, ...]]] = field(default_factory=dict)
    sinks: dict[tuple[object, Loc, int], tuple[Loc, ...]] = field(default_factory=dict)
    heap: dict[tuple[object, tuple], dict[int, tuple[Loc, ...]]] = field(default_factory=dict)

    def size(self) -> int:
        return (
            sum(len(v) for v in self.returns.values())
            + len(self.sinks)
            + sum(len(v) for v in self.heap.values())
        )

    def add_return(self, label: object, traces: dict[int, tuple[Loc, ...]]) -> None:
        have = self.returns.setdefault(label, {})
        for r, t in traces.items():
            have.setdefault(r, t)

    def add_heap(self, label: object, key: tuple, traces: dict[int, tuple[Loc, ...]]) -> None:
        have = self.heap.setdefault((label, key), {})
        for r, t in traces.items():
            have.setdefault(r, t)

    def merge(self, other: Summary) -> None:
        """Keep what an earlier analysis found (summaries only grow)."""
        for label, traces in other.returns.items():
            self.add_return(label, traces)
        for k, v in other.sinks.items():
            self.sinks.setdefault(k, v)
        for (label, key), traces in other.heap.items():
            self.add_heap(label, key, traces)


_EMPTY = Summary()


@dataclass
class Hit:
    """A finding: data from a source reached a sink."""

    sink: Loc
    source: Loc | None
    trace: tuple[Loc, ...]


def _fresh(have: dict | None, mask: int) -> int:
    """The rules of ``mask`` that ``have`` (rule -> trace) holds nothing for."""
    for r in have or ():
        mask &= ~(1 << r)
    return mask


def _trace(*parts: Iterable[Loc]) -> tuple[Loc, ...]:
    """The parts joined, a location repeated next to itself kept once, at most
    ``MAX_TRACE`` long (its two ends).

    >>> _trace([(1, 2), (1, 3)], [(1, 3), (1, 3), (1, 4)], [], [(1, 2)])
    ((1, 2), (1, 3), (1, 4), (1, 2))
    >>> _trace([], ())
    ()
    """
    flat = list(chain.from_iterable(parts))
    if not flat:
        return ()
    # each location against the one before it (a comprehension: traces are walked millions
    # of times on a large program)
    out = [loc for loc, before in zip(flat, [None, *flat[:-1]], strict=True) if loc != before]
    if len(out) > MAX_TRACE:
        out = out[: MAX_TRACE // 2] + out[-MAX_TRACE // 2 :]
    return tuple(out)


def literal(ix: ModuleIndex, node: int):
    """The Python value of a LITERAL node (``_NOLIT`` when it is not one)."""
    if ix.kind[node] != NodeKind.LITERAL or ix.code[node] is None:
        return _NOLIT
    try:
        return ast.literal_eval(ix.code[node])
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return _NOLIT


_NOLIT = object()


def _assigned_names(ix: ModuleIndex, call: int) -> list[str]:
    """Names the value of ``call`` ends up in: assignment targets, keyword names, dict keys,
    the function it is returned from."""
    out: list[str] = []
    n = call
    for _ in range(8):
        p = ix.parent[n]
        if p is None:
            break
        if ix.kind[p] == NodeKind.RETURN:
            out.append(ix.name[ix.method[p]] or "")
            break
        if ix.kind[p] != NodeKind.CALL:
            break
        if ix.subkind[p] is None:  # an argument of a call: its keyword, or on through
            kw = [lab for lab, a in ix.args.get(p, ()) if a == n and not lab.isdigit()]
            if kw:  # ``"".join(random.choices(...))`` is still the random value
                out += kw
                break
            n = p
            continue
        op = ix.name[p]
        if op == "<operator>.assignment" or (ix.ast_type[p] == "AugAssign"):
            out += [ix.code[c] or "" for c in ix.children[p] if c != n]
            break
        if op == "<operator>.dictLiteral":  # children: the keys, then the values
            kids = ix.children[p]
            i, half = kids.index(n), len(kids) // 2
            if i >= half and literal(ix, kids[i - half]) is not _NOLIT:
                out.append(str(literal(ix, kids[i - half])))
        n = p
    return out


def _comes_from(ix: ModuleIndex, node: int, pattern: CallPattern) -> bool:
    """Whether a value is (or a local variable holds only) the result of a call matching
    the pattern and its conditions."""
    values = [node]
    if ix.kind[node] == NodeKind.IDENTIFIER:
        values = []
        for d in ix.rd_in.get(node, ()):
            p = ix.parent[d]
            if p is None or ix.name[p] != "<operator>.assignment":
                return False
            kids = ix.children[p]
            values.append(max(kids, key=lambda c: ix.order[c] or 0))
    return bool(values) and all(
        ix.is_call(v)
        and pattern.matches(ix.full_name[v], ix.name[v])
        and check_conditions(ix, v, pattern.where)
        for v in values
    )


def check_conditions(ix: ModuleIndex, call: int, where: Iterable[Condition]) -> bool:
    """Whether every condition holds for a call node."""
    for c in where:
        if c.on == "assigned_to":
            if not any(c.value.search(name) for name in _assigned_names(ix, call)):
                return False
            continue
        node = ix.arg(call, str(c.key))
        if c.op == "missing":
            if (node is None) != c.value:
                return False
            continue
        if c.op == "not_from":
            if node is not None and _comes_from(ix, node, c.value):
                return False
            continue
        if c.op == "not_in":
            if node is not None:
                value = literal(ix, node)
                names = {ix.code[node], ix.dotted(node), None if value is _NOLIT else str(value)}
                if names & set(c.value):
                    return False
            continue
        if node is None:
            return False
        if c.op == "is":
            value = literal(ix, node)
            same = value is not _NOLIT and value == c.value and type(value) is type(c.value)
            if not same and not (isinstance(c.value, str) and ix.dotted(node) == c.value):
                return False
        elif (c.op == "literal" and (ix.kind[node] == NodeKind.LITERAL) != c.value) or (
            c.op == "matches" and not c.value.search(ix.code[node] or "")
        ):
            return False
    return True


class TaintEngine:
    """Runs taint rules over a program -- all of them in one pass: a fact carries the set
    of rules (a bit mask) whose data it holds, so that rules with common sources share the
    propagation, and each rule's sanitizers, guards and sinks act on its own bit.

    Examples
    --------
    >>> import pathlib, tempfile, workbench as wb
    >>> from workbench.analysis.patterns import load_rules
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "app.py").write_text(
    ...     "import os\\n"
    ...     "def run(cmd):\\n"
    ...     "    os.system(cmd)\\n"
    ...     "def main():\\n"
    ...     "    run('ls ' + input())\\n"
    ...     "    run('ls')\\n")
    >>> program = Program.from_project(wb.build_project(root))
    >>> rules = load_rules()
    >>> hits = TaintEngine(program, [rules["py.command-injection"]], rules.semantics).run()
    >>> [(rule.id, program.index(h.sink[0]).line[h.sink[1]], len(h.trace) > 2) for rule, h in hits]
    [('py.command-injection', 3, True)]
    """

    def __init__(self, program: Program, rules: Iterable[Rule], semantics: Semantics) -> None:
        self.program = program
        self.rules = [r for r in rules if r.kind == "taint"]
        self.specs = [r.spec for r in self.rules]
        self.all = (1 << len(self.rules)) - 1
        self.sem = semantics
        # summaries and runs are keyed by (unit, seed): seed S (the unit's own sources and
        # what reaches it from outside) or a parameter index (what the unit does with it)
        self.summaries: dict[tuple[Loc, object], Summary] = {}
        self.heap: dict[tuple, dict[int, tuple[Loc, ...]]] = {}
        self.heap_fields: dict[str, dict[int, tuple[Loc, ...]]] = {}
        self.dependents: dict[tuple[Loc, object], set[tuple[Loc, object]]] = defaultdict(set)
        self.hits: dict[tuple[int, Loc], Hit] = {}
        self.runs: dict[tuple[Loc, object], int] = defaultdict(int)
        self.queue: deque[tuple[Loc, object]] = deque()
        self.queued: set[tuple[Loc, object]] = set()
        self.stack: list[tuple[Loc, object]] = []
        self._guards: dict[Loc, dict[int, list[tuple[set[str], int]]]] = {}
        self._sources: dict[int, dict[int, list[tuple[int, int]]]] = {}
        self._memo: dict[tuple, object] = {}
        self.allowlist = sum(1 << i for i, s in enumerate(self.specs) if s["allowlist"])
        self.prefixed = sum(1 << i for i, s in enumerate(self.specs) if s["prefixes"])

    # -- driver ------------------------------------------------------------------------------

    def run(self) -> list[tuple[Rule, Hit]]:
        """Every finding: (rule, hit), sorted by rule id and sink."""
        if not self.rules:
            return []
        for key in self._candidate_modules():
            ix = self.program.index(key)
            for unit in sorted(self._module_sources(ix)):
                self._enqueue(((key, unit), S))
        while self.queue:
            item = self.queue.popleft()
            self.queued.discard(item)
            self._analyse(item)
        order = sorted(self.hits, key=lambda k: (self.rules[k[0]].id, k[1]))
        return [(self.rules[r], self.hits[(r, loc)]) for r, loc in order]

    def _enqueue(self, item: tuple[Loc, object]) -> None:
        if item not in self.queued and self.runs[item] < MAX_RUNS:
            self.queued.add(item)
            self.queue.append(item)

    def _candidate_modules(self) -> list[int]:
        """Modules that may hold a source of some rule: a call or import naming one, a
        decorated function, a parameter-named object."""
        prog = self.program
        keys: set[int] = set()
        for (fn, nm), sites in prog.call_sites.items():
            if self._call_source_mask(fn, nm) or (fn and self._decorator_mask([fn])):
                keys |= {m for m, _ in sites}
        raws = {r.split("*", 1)[0].rstrip(".") for s in self.specs for r in s["source_attr_names"]}
        if raws:
            for fn, where in prog.names("IMPORT").items():
                mods = {m for m, _ in where}
                if self._dotted_source_mask(fn):  # from sys import argv
                    keys |= mods
                    continue
                for raw in raws:  # import os ... os.environ: a module naming the attribute
                    if raw.startswith(fn + "."):
                        attr = raw[len(fn) + 1 :].split(".", 1)[0]
                        keys |= {m for m in mods if prog.names_in("FIELD_IDENTIFIER", m, attr)}
        for s in self.specs:
            for pname, _ in s["source_param_attrs"]:
                keys |= {m for m, _ in prog.names("IDENTIFIER").get(pname, ())}
        return sorted(k for k in keys if k in prog.modules)

    def _module_sources(self, ix: ModuleIndex) -> dict[int, list[tuple[int, int]]]:
        """Unit -> its source nodes with the mask of rules they are sources of (computed
        once per module)."""
        if ix.key in self._sources:
            return self._sources[ix.key]
        out: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for m in ix.methods:
            decos = ix.decorator_names(m)
            mask = self._decorator_mask(decos) if decos else 0
            if mask:
                out[m] += [(p, mask) for p in ix.params(m)]
        calls, fields, imported = ix.node_lists
        for n in calls:
            mask = self._call_source_mask(ix.full_name[n], ix.name[n], bool(ix.calls.get(n)))
            if mask:
                out[ix.unit(n)].append((n, mask))
        for n in fields:
            mask = self._attr_source_mask(ix, n)
            if mask:
                out[ix.unit(n)].append((n, mask))
        for n in imported:
            if not ix.rd_out.get(n):
                p = ix.parent[n]
                if p is None or not ix.is_field(p) or ix.children[p][0] != n:
                    mask = self._dotted_source_mask(ix.dotted(n))
                    if mask:
                        out[ix.unit(n)].append((n, mask))
        for unit in list(out):
            dead = ix.dead_nodes(unit)
            out[unit] = [x for x in out[unit] if x[0] not in dead]
            if not out[unit]:
                del out[unit]
        self._sources[ix.key] = dict(out)
        return self._sources[ix.key]

    # -- what the rules name (memoised by name) ---------------------------------------------

    def _memoised(self, key: tuple, compute):
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = compute()
        return hit

    def _mask(self, test) -> int:
        return sum(1 << i for i, s in enumerate(self.specs) if test(s))

    def _call_source_mask(self, full: str | None, name: str | None, project: bool = False) -> int:
        """Rules a call is a source of (a call of a project function matches only full
        names: ``method:`` names say nothing of it, its body is analysed)."""
        return self._memoised(
            ("src", full, name, project),
            lambda: self._mask(
                lambda s: any(
                    p.matches(full, name) for p in s["source_calls"] if not project or p.names
                )
            ),
        )

    def _dotted_source_mask(self, dotted: str | None) -> int:
        if not dotted:
            return 0
        return self._memoised(
            ("attr", dotted),
            lambda: self._mask(lambda s: any(a.fullmatch(dotted) for a in s["source_attrs"])),
        )

    def _decorator_mask(self, decos: list[str]) -> int:
        return self._memoised(
            ("deco", *decos),
            lambda: self._mask(
                lambda s: any(p.fullmatch(d) for p in s["source_params"] for d in decos)
            ),
        )

    def _attr_source_mask(self, ix: ModuleIndex, n: int) -> int:
        """Rules an attribute read is a source of: a parameter's attribute
        (``request.GET``), or the longest chain naming a source (``request.args``)."""
        mask = 0
        base = ix.children[n][0] if ix.children[n] else None
        if base is not None and ix.kind[base] == NodeKind.IDENTIFIER:
            field_ = ix.field(n)
            for i, s in enumerate(self.specs):
                for pname, attrs in s["source_param_attrs"]:
                    if ix.name[base] == pname and field_ in attrs:
                        mask |= 1 << i
        p = ix.parent[n]
        if p is not None and ix.is_field(p) and ix.children[p][0] == n:
            return mask  # the longest chain is the source (request.args, not request)
        dotted = ix.dotted(n)
        while dotted:
            mask |= self._dotted_source_mask(dotted)
            dotted = dotted.rpartition(".")[0]
        return mask

    def sinks_of(self, full: str | None, name: str | None) -> list[tuple[int, CallPattern]]:
        """(rule, sink pattern) of the call sinks a call matches."""
        return self._memoised(
            ("sink", full, name),
            lambda: [
                (i, p)
                for i, s in enumerate(self.specs)
                for p in s["sinks"]
                if p.matches(full, name)
            ],
        )

    def clean_mask(self, full: str | None, name: str | None) -> int:
        """Rules a call sanitizes (every rule for the semantics' clean calls)."""

        def compute() -> int:
            if self.sem.clean_calls is not None and full and self.sem.clean_calls.fullmatch(full):
                return self.all
            return self._mask(lambda s: any(p.matches(full, name) for p in s["sanitizers"]))

        return self._memoised(("clean", full, name), compute)

    def prefix_mask(self, head: str) -> int:
        """Rules a constant start of a string makes the rest harmless for."""
        return self._memoised(
            ("prefix", head),
            lambda: self._mask(lambda s: any(r.search(head) for r in s["prefixes"])),
        )

    # -- the analysis of one unit -----------------------------------------------------------

    def summary(self, callee: Loc, param: int, caller: tuple[Loc, object]) -> Summary:
        """What a callee unit does with its parameter ``param`` (computed now when it is not
        yet); the caller's run is analysed again when it grows."""
        item = (callee, param)
        self.dependents[item].add(caller)
        if item not in self.summaries and item not in self.stack:
            if len(self.stack) < 60:
                self._analyse(item)
            else:  # deep call chains: later, from the queue (the caller runs again then)
                self._enqueue(item)
        return self.summaries.get(item) or _EMPTY

    def _analyse(self, item: tuple[Loc, object]) -> None:
        unit, seed = item
        key, uid = unit
        if key not in self.program.modules:
            return
        self.runs[item] += 1
        self.stack.append(item)
        try:
            before = self.summaries.get(item)
            size = before.size() if before else -1
            run = _UnitRun(self, self.program.index(key), uid, seed)
            run.solve()
            new = run.summary
            if before is not None:
                new.merge(before)
            self.summaries[item] = new
            if new.size() != size:
                for dep in sorted(self.dependents[item], key=repr):
                    if dep != item:
                        self._enqueue(dep)
                if seed == S and (S in new.returns or new.heap):
                    for site in self.program.callers.get(unit, ()):
                        ix = self.program.index(site[0])
                        self._enqueue(((site[0], ix.unit(site[1])), S))
        finally:
            self.stack.pop()

    def write_heap(self, key: tuple, traces: dict[int, tuple[Loc, ...]]) -> None:
        """Source data of these rules is stored at a heap location."""
        have = self.heap.setdefault(key, {})
        new = {r: t for r, t in traces.items() if r not in have}
        if not new:
            return
        have.update(new)
        if key[0] == "attr":
            f = self.heap_fields.setdefault(key[2], {})
            for r, t in new.items():
                f.setdefault(r, t)
        if key[0] == "exc":
            self._raise_up(key[1], new, 0)
            return
        for reader in self._readers(key):
            self._enqueue((reader, S))

    def _raise_up(self, unit: Loc, traces: dict[int, tuple[Loc, ...]], depth: int) -> None:
        """An exception carrying source data leaves ``unit``: the callers with handlers that
        bind it (``except E as e``) are analysed again; through the others it goes on up,
        without analysing them, for :data:`MAX_RAISE` calls."""
        for m, site in self.program.callers.get(unit, ()):
            ix = self.program.index(m)
            caller = (m, ix.unit(site))
            if ix.unit_facts(caller[1])[0]:
                self._enqueue((caller, S))
            elif depth < MAX_RAISE:
                have = self.heap.setdefault(("exc", caller), {})
                new = {r: _trace(t, [(m, site)]) for r, t in traces.items() if r not in have}
                if new:
                    have.update(new)
                    self._raise_up(caller, new, depth + 1)

    def has_readers(self, key: tuple) -> bool:
        """Whether a unit may read this heap location (memoised)."""
        return self._memoised(("readers", *key), lambda: bool(self._readers(key)))

    def read_heap(self, key: tuple) -> dict[int, tuple[Loc, ...]]:
        if key[0] == "field":
            return self.heap_fields.get(key[1], {})
        return self.heap.get(key, {})

    def _readers(self, key: tuple) -> list[Loc]:
        """Units that may read a heap location: functions naming the variable (nested in
        the defining one, or importing it), the attribute, or calling the unit that
        raised."""
        if key[0] == "exc":
            units = []
            for m, site in self.program.callers.get(key[1], ()):
                units.append((m, self.program.index(m).method[site]))
        elif key[0] == "var":
            _, module, definer, name = key
            units = []
            if module in self.program.modules:
                ix = self.program.index(module)
                for method in self.program.names_in("IDENTIFIER", module, name):
                    if definer == 0 or ix.nested_in(method, definer):
                        units.append((module, method))
            ref = self.program.modules.get(module)
            if ref is not None and definer == 0:
                units += self.program.names("IMPORT").get(f"{ref.name}.{name}", ())
        else:  # a class attribute: read in the class's module (self.x, C.x)
            module = self.program.module_of(key[1]) if key[1] else None
            units = (
                [(module, m) for m in self.program.names_in("FIELD_IDENTIFIER", module, key[2])]
                if module is not None
                else []
            )
        out = set()
        for m, method in units:
            if m in self.program.modules:
                out.add((m, self.program.index(m).unit(method)))
        return sorted(out)

    def hit(self, rule: int, sink: Loc, trace: tuple[Loc, ...]) -> None:
        if (rule, sink) not in self.hits:
            self.hits[(rule, sink)] = Hit(sink, trace[0] if trace else None, trace)

    # -- per-unit facts ---------------------------------------------------------------------

    def guards(self, ix: ModuleIndex, unit: int) -> dict[int, list[tuple[set[str], int]]]:
        """Node -> (variables, rules) an allow-list or a rule's guard call cleans there."""
        loc = (ix.key, unit)
        if loc in self._guards:
            return self._guards[loc]
        out: dict[int, list[tuple[set[str], int]]] = defaultdict(list)
        has_calls = any(s["guard_calls"] for s in self.specs)
        if self.allowlist or has_calls:
            for n in ix.unit_nodes[unit]:
                if not ix.cdg.get(n):
                    continue
                test, flip = n, False
                while (
                    ix.kind[test] == NodeKind.CALL
                    and ix.name[test] in ("<operator>.not", "<operator>.logicalNot")
                    and ix.children[test]
                ):
                    test, flip = ix.children[test][0], not flip
                found = []
                names, branch = _guard(ix, test)
                if names and self.allowlist:
                    found.append((names, branch, self.allowlist))
                if has_calls:
                    found += self._guard_calls(ix, test)
                for names, branch, mask in found:
                    if flip:
                        branch = "false" if branch == "true" else "true"
                    region = ix.closure(n, branch)
                    other = ix.closure(n, "false" if branch == "true" else "true")
                    if any(self._no_return(ix, x) or _rebinds(ix, x, names) for x in other):
                        # ``if not ok: abort()`` / ``if x not in OK: x = "default"``: the
                        # code after the ``if`` sees x only where the test held
                        region |= _after(ix, n)
                    for stmt in region:
                        out[stmt].append((names, mask))
        self._guards[loc] = out
        return out

    def _guard_calls(self, ix: ModuleIndex, test: int) -> list[tuple[set[str], str, int]]:
        """Rules' own guard calls (``if url_has_allowed_host_and_scheme(u, ...):``,
        ``if full.startswith(BASE):``): the variables they clean where they hold."""
        if not ix.is_call(test):
            return []
        out = []
        for i, s in enumerate(self.specs):
            for pattern, cleans in s["guard_calls"]:
                if not pattern.matches(ix.full_name[test], ix.name[test]):
                    continue
                if cleans == "receiver":
                    recv = ix.receiver.get(test)
                    nodes = [recv] if recv is not None else []
                else:
                    nodes = [a for lab, a in ix.args.get(test, ()) if lab in cleans]
                names = set().union(*(_names_in(ix, x) for x in nodes)) if nodes else set()
                if names:
                    out.append((names, "true", 1 << i))
        return out

    def _no_return(self, ix: ModuleIndex, node: int) -> bool:
        pat = self.sem.no_return_calls
        if pat is None:
            return False
        return any(
            ix.is_call(x) and ix.full_name[x] and pat.fullmatch(ix.full_name[x])
            for x in ix.subtree(node)
        )


def _rebinds(ix: ModuleIndex, stmt: int, names: set[str]) -> bool:
    """Whether a statement is an assignment of a constant to one of the names."""
    if ix.name[stmt] != "<operator>.assignment":
        return False
    kids = ix.children[stmt]
    value = max(kids, key=lambda c: ix.order[c] or 0) if kids else None
    return (
        value is not None
        and ix.kind[value] == NodeKind.LITERAL
        and any(
            ix.kind[t] == NodeKind.IDENTIFIER and ix.name[t] in names for t in kids if t != value
        )
    )


def _after(ix: ModuleIndex, test: int) -> set[int]:
    """The nodes after the ``if`` statement of a test, to the end of its block (ids are
    pre-order: a subtree is a contiguous range)."""
    stmt = ix.parent[test]
    block = ix.parent[stmt] if stmt is not None else None
    if block is None:
        return set()
    return set(range(ix.last[stmt] + 1, ix.last[block] + 1))


def _constant_head(ix: ModuleIndex, node: int) -> str | None:
    """The constant text a string-building expression starts with (``"/a/" + x``,
    ``f"/a/{x}"``, ``"/a/%s" % x``), None when it starts with data."""
    op = ix.name[node]
    kids = ix.children[node]
    if not kids:
        return None
    if op in ("<operator>.addition", "<operator>.modulo"):
        v = literal(ix, kids[0])
        if isinstance(v, str):
            return v
        if ix.name[kids[0]] in ("<operator>.addition", "<operator>.formatString"):
            return _constant_head(ix, kids[0])
        return None
    if op == "<operator>.formatString" and ix.code[node]:
        try:
            tree = ast.parse(ix.code[node], mode="eval").body
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return None
        if (
            isinstance(tree, ast.JoinedStr)
            and tree.values
            and isinstance(tree.values[0], ast.Constant)
        ):
            return str(tree.values[0].value)
    return None


def _names_in(ix: ModuleIndex, node: int) -> set[str]:
    return {ix.name[n] for n in ix.subtree(node) if ix.kind[n] == NodeKind.IDENTIFIER}


def _guard(ix: ModuleIndex, test: int) -> tuple[set[str], str]:
    """Variables an allow-list test checks and the branch where they are clean."""
    kids = ix.children[test]
    if ix.kind[test] != NodeKind.CALL or not kids:
        return set(), ""
    op = ix.name[test]
    if ix.subkind[test] == Subkind.OPERATOR and op in _GUARD_TRUE | _GUARD_FALSE and len(kids) == 2:
        left, right = kids
        if (
            ix.kind[right] == NodeKind.LITERAL
            or op in ("<operator>.in", "<operator>.notIn")
            or (ix.kind[right] == NodeKind.IDENTIFIER and (ix.name[right] or "").isupper())
        ):
            if op in ("<operator>.in", "<operator>.notIn") and ix.kind[right] == NodeKind.LITERAL:
                return set(), ""  # x in "abc": a substring test, no allow-list
            return _names_in(ix, left), "true" if op in _GUARD_TRUE else "false"
        return set(), ""
    if ix.subkind[test] is None:
        short = ix.callee_name(test)
        if short in _VALIDATORS:
            names = set()
            recv = ix.receiver.get(test)
            if short in ("fullmatch", "match"):
                a = ix.arg(test, "2")
                pat = ix.arg(test, "1")
                value = literal(ix, pat) if pat is not None else _NOLIT
                anchored = short == "fullmatch" or (
                    isinstance(value, str) and (value.endswith("$") or value.endswith("\\Z"))
                )
                if a is not None and anchored and (ix.full_name[test] or "").startswith("re."):
                    names = _names_in(ix, a)
            elif recv is not None:
                names = _names_in(ix, recv)
            return names, "true"
    return set(), ""


def _mask_of(traces: dict[int, object]) -> int:
    """The mask of the rules a dict of traces per rule holds."""
    mask = 0
    for r in traces:
        mask |= 1 << r
    return mask


def _bits(mask: int):
    """The rule indices of a mask."""
    i = 0
    while mask:
        if mask & 1:
            yield i
        mask >>= 1
        i += 1


class _UnitRun:
    """One analysis of one unit: a worklist over (node, label) facts, each with the mask of
    rules whose data it holds."""

    def __init__(self, engine: TaintEngine, ix: ModuleIndex, unit: int, seed: object) -> None:
        self.e = engine
        self.ix = ix
        self.unit = unit
        self.seed = seed
        self.loc = (ix.key, unit)
        self.nodes = ix.unit_nodes.get(unit, [])
        self.unit_of = ix.unit_of
        self.facts: dict[int, dict[object, int]] = defaultdict(dict)
        self.preds: dict[tuple[int, object, int], tuple] = {}
        self.work: list[tuple[int, object, int]] = []
        self.summary = Summary()
        self.dead = ix.dead_nodes(unit)
        self.guards = engine.guards(ix, unit)
        self.local_fields: dict[tuple, dict[object, int]] = defaultdict(dict)
        self.field_reads: dict[str, list[int]] | None = None
        self.cls = ix.class_of(unit) if ix.kind[unit] == NodeKind.METHOD else None
        params = ix.params(unit) if ix.kind[unit] == NodeKind.METHOD else []
        self.params = params
        self.self_name = (
            ix.name[params[0]] if params and self.cls and not ix.is_static(unit) else None
        )

    # -- facts ------------------------------------------------------------------------------

    def add(self, node: int, label: object, mask: int, pred: tuple) -> None:
        """``pred``: (previous node or None, the trace to insert before this node: a tuple,
        or a dict of traces per rule)."""
        ix = self.ix
        if (
            not mask
            or self.unit_of[node] != self.unit
            or not ix.reachable[node]
            or node in self.dead
        ):
            return
        f = self.facts[node]
        have = f.get(label, 0)
        new = mask & ~have
        if not new:
            return
        f[label] = have | new
        prev, via = pred
        for r in _bits(new):
            self.preds[(node, label, r)] = (prev, via.get(r, ()) if isinstance(via, dict) else via)
        self.work.append((node, label, new))

    def add_traces(
        self, node: int, label: object, traces: dict[int, tuple[Loc, ...]], prev=None
    ) -> None:
        """Facts that come with a trace of their own per rule (heap reads, summaries)."""
        self.add(node, label, _mask_of(traces), (prev, traces))

    def trace(self, node: int, label: object, rule: int) -> tuple[Loc, ...]:
        """The path from the label's origin to ``node`` for one rule."""
        key = self.ix.key
        parts: list[tuple[Loc, ...]] = []
        n: int | None = node
        seen = set()
        while n is not None and n not in seen:
            seen.add(n)
            parts.append(((key, n),))
            prev, via = self.preds.get((n, label, rule), (None, ()))
            if via:
                parts.append(via)
            n = prev
        return _trace(*reversed(parts))

    def traces(
        self, node: int, label: object, mask: int, *after: Loc
    ) -> dict[int, tuple[Loc, ...]]:
        return {r: _trace(self.trace(node, label, r), after) for r in _bits(mask)}

    # Heap locations, summaries and hits keep the first trace found per rule: a trace is
    # walked only for the rules that have none there yet (the walk is the analysis' cost).

    def _heap_have(self, label: object, key: tuple) -> dict | None:
        """The traces already kept at a heap location: the program's for the source label,
        this summary's for a parameter."""
        return self.e.heap.get(key) if label == S else self.summary.heap.get((label, key))

    def _sink_kept(self, label: object, sink: Loc, rule: int) -> bool:
        """A trace to this sink is kept already: a hit (source label) or in the summary."""
        if label == S:
            return (rule, sink) in self.e.hits
        return (label, sink, rule) in self.summary.sinks

    def _heap_write(self, label: object, key: tuple, traces: dict[int, tuple[Loc, ...]]) -> None:
        if label == S:
            self.e.write_heap(key, traces)
        else:
            self.summary.add_heap(label, key, traces)

    def solve(self) -> None:
        ix, e = self.ix, self.e
        if self.seed == S:
            for s, mask in e._module_sources(ix).get(self.unit, ()):
                self.add(s, S, mask, (None, ()))
            self._seed_heap_and_calls()
        elif isinstance(self.seed, int) and self.seed < len(self.params):
            self.add(self.params[self.seed], self.seed, e.all, (None, ()))
        steps = 0
        while self.work:
            node, label, mask = self.work.pop()
            steps += 1
            if steps > 200_000:  # pragma: no cover - a bound on pathological units
                break
            self.step(node, label, mask)

    def _seed_heap_and_calls(self) -> None:
        """Facts that come from outside: heap reads, call sites of summarised callees that
        return source data, raise it or store it into an argument."""
        ix, e = self.ix, self.e
        for n in ix.unit_inputs(self.unit):
            if n in self.dead:
                continue
            k = ix.kind[n]
            if k == NodeKind.IDENTIFIER:
                for key in self._var_keys(n):
                    t = e.read_heap(key)
                    if t:
                        self.add_traces(n, S, t)
            elif k == NodeKind.CALL and ix.subkind[n] is None:
                callees = ix.calls.get(n, ())
                for callee in callees if len(callees) <= MAX_CALLEES else ():
                    if callee[0] not in e.program.modules:
                        continue
                    cix = e.program.index(callee[0])
                    cunit = (callee[0], cix.unit(callee[1]))
                    t = e.read_heap(("exc", cunit))  # exceptions the callee raised
                    if t:
                        self._raised(n, t)
                    summ = e.summaries.get((cunit, S))
                    if summ is not None:
                        t = summ.returns.get(S)
                        if t:
                            self.add_traces(n, S, t)
                        for (lab, key), tr in summ.heap.items():
                            if lab == S and key[0] == "param":
                                self._taint_actual(n, cix, callee[1], key[1], S, tr, None)
            elif ix.is_field(n) and not self._is_store_target(n):
                for key in self._field_keys(n):
                    t = e.read_heap(key)
                    if t:
                        self.add_traces(n, S, t)

    def _raised(self, site: int, traces: dict[int, tuple[Loc, ...]]) -> None:
        """A callee raised source data: the handlers of this unit get it, or (none here) it
        is raised on to this unit's callers."""
        for h in self.handlers:
            self.add_traces(h, S, traces)

    @property
    def handlers(self) -> list[int]:
        return self.ix.unit_facts(self.unit)[0]

    def _var_keys(self, n: int) -> list[tuple]:
        """Heap keys of a free variable read: the variable in each enclosing function."""
        ix = self.ix
        name = ix.name[n]
        out = []
        m = ix.enclosing(ix.method[n]) if ix.method[n] != 0 else None
        while m is not None:
            out.append(("var", ix.key, ix.unit(m), name))
            m = ix.enclosing(m) if m != 0 else None
        if ix.method[n] != 0 or not out:
            out.append(("var", ix.key, 0, name))
        full = ix.aliases.get(name)
        if full and "." in full:  # from m import x: x of project module m
            mod, _, attr = full.rpartition(".")
            key = self.e.program.module_keys.get(mod)
            if key is not None:
                out.append(("var", key, 0, attr))
        return out

    def _field_keys(self, n: int) -> list[tuple]:
        ix = self.ix
        base = ix.children[n][0] if ix.children[n] else None
        f = ix.field(n)
        if base is None or f is None:
            return []
        if ix.kind[base] == NodeKind.IDENTIFIER:
            if self.self_name and ix.name[base] == self.self_name:
                return [("attr", self.cls, f)]
            if ix.name[base] in ix.top_level:  # C.x of a class of the module
                return [("attr", ix.top_level[ix.name[base]], f)]
            defs = ix.rd_in.get(base, ())
            if defs and all(self._made_by_call(d) for d in defs):
                return [("local", f)]  # o = C(...): the object's own taint says it all
        return [("field", f)]

    def _made_by_call(self, d: int) -> bool:
        ix = self.ix
        p = ix.parent[d]
        if p is None or ix.name[p] != "<operator>.assignment":
            return False
        v = self._value_child(p)
        return v is not None and v != d and ix.is_call(v)

    def _is_store_target(self, n: int) -> bool:
        ix = self.ix
        p = ix.parent[n]
        while (
            p is not None
            and ix.kind[p] == NodeKind.CALL
            and ix.name[p] in _LITERALS | {"<operator>.starred"}
        ):
            n, p = p, ix.parent[p]
        if p is None:
            return False
        if ix.kind[p] == NodeKind.CALL and ix.subkind[p] == Subkind.OPERATOR:
            if ix.name[p] == "<operator>.assignment":
                return n in self._targets(p)
            if ix.ast_type[p] == "AugAssign":
                return False
        if ix.kind[p] == NodeKind.CONTROL_STRUCTURE and ix.subkind[p] == Subkind.FOR:
            return ix.order[n] == 1
        return False

    def _targets(self, assign: int) -> list[int]:
        ix = self.ix
        kids = ix.children[assign]
        if ix.ast_type[assign] == "AnnAssign":
            return [c for c in kids if ix.order[c] == 1]
        value = self._value_child(assign)
        return [c for c in kids if c != value]

    def _value_child(self, assign: int) -> int | None:
        ix = self.ix
        kids = ix.children[assign]
        if not kids:
            return None
        return max(kids, key=lambda c: ix.order[c] or 0)

    # -- transfer ---------------------------------------------------------------------------

    def step(self, n: int, label: object, mask: int) -> None:
        ix, e = self.ix, self.e
        # definitions to uses
        for u in ix.rd_out.get(n, ()):
            self.add(u, label, mask & ~self._guarded(u), (n, ()))
        if (
            label == S
            and ix.kind[n] in (NodeKind.IDENTIFIER, NodeKind.METHOD_PARAMETER_IN)
            and (ix.rd_out.get(n) or not ix.rd_in.get(n))
            and self._is_def(n)
            and not self._overwritten_at_top(n)
        ):
            key = self._def_key(n)
            cls = ix.full_name[self.unit] if ix.subkind[self.unit] == Subkind.CLASS_BODY else None
            if e.has_readers(key) or cls:  # the trace walk only when someone may read it
                keys = [key]
                if cls and ix.kind[n] == NodeKind.IDENTIFIER:  # class attribute
                    keys.append(("attr", cls.removesuffix(".<body>"), ix.name[n]))
                fresh = 0
                for k in keys:
                    fresh |= _fresh(e.heap.get(k), mask)
                if fresh:
                    tr = self.traces(n, label, fresh)
                    for k in keys:
                        e.write_heap(k, tr)
        p = ix.parent[n]
        if p is None:
            return
        pk = ix.kind[p]
        if pk == NodeKind.CALL:
            if ix.subkind[p] == Subkind.OPERATOR:
                self._operator(n, p, label, mask)
            elif ix.subkind[p] is None:
                self._call_input(n, p, label, mask)
        elif pk == NodeKind.RETURN:
            self._return(n, p, label, mask)
        elif pk == NodeKind.CONTROL_STRUCTURE:
            sk = ix.subkind[p]
            if sk == Subkind.FOR and ix.order[n] == 2:
                for t in ix.children[p]:
                    if ix.order[t] == 1:
                        self.assign(t, label, mask, n)
            elif sk == Subkind.WITH:
                kids = ix.children[p]
                i = kids.index(n)
                if i + 1 < len(kids):
                    t = kids[i + 1]
                    if self._is_with_target(t):
                        self.assign(t, label, mask, n)
            elif sk == Subkind.MATCH and ix.order[n] == 1:  # match subject -> captures
                for case in ix.children[p]:
                    pattern = [c for c in ix.children[case] if ix.order[c] == 1]
                    for x in ix.subtree(pattern[0]) if pattern and case != n else ():
                        if ix.kind[x] == NodeKind.IDENTIFIER and ix.ast_type[x] != "Name":
                            self.add(x, label, mask, (n, ()))
            elif sk == Subkind.THROW:
                key = ("exc", self.loc)
                fresh = _fresh(self._heap_have(label, key), mask)
                if fresh:
                    self._heap_write(label, key, self.traces(n, label, fresh))
                for h in self.handlers:  # handlers of this unit
                    self.add(h, label, mask, (n, ()))
        elif pk == NodeKind.BLOCK:
            m = ix.method[p]
            if ix.parent[p] == m and ix.subkind[m] == Subkind.LAMBDA:
                self._return(n, p, label, mask)
            elif (
                ix.parent[p] == m
                and ix.subkind[m] in _COMPREHENSION_KINDS
                and (ix.kind[n] != NodeKind.CONTROL_STRUCTURE)
            ):
                ref = ix.parent[m]
                if ref is not None:
                    self.add(ref, label, mask, (n, ()))
        elif pk == NodeKind.METHOD_REF:
            kids = [c for c in ix.children[p] if ix.kind[c] == NodeKind.METHOD]
            if kids and ix.subkind[kids[0]] in _COMPREHENSION_KINDS:
                body = [c for c in ix.children[kids[0]] if ix.kind[c] == NodeKind.BLOCK]
                for b in body[:1]:
                    fors = [c for c in ix.children[b] if ix.subkind[c] == Subkind.FOR]
                    for f in fors[:1]:
                        for t in ix.children[f]:
                            if ix.order[t] == 1:
                                self.assign(t, label, mask, n)

    def _is_def(self, n: int) -> bool:
        ix = self.ix
        if ix.kind[n] == NodeKind.METHOD_PARAMETER_IN:
            return True
        return bool(ix.rd_out.get(n)) or self._is_store_target(n)

    def _overwritten_at_top(self, n: int) -> bool:
        """A module-level ``X = ...`` that a later module-level statement assigns again:
        functions (which run after the import) never see it."""
        ix = self.ix
        if self.unit != 0:
            return False
        stmt = self._top_statement(n)
        if stmt is None:
            return False
        return any(later > stmt for later in ix.top_assignments.get(ix.name[n], ()))

    def _top_statement(self, n: int) -> int | None:
        ix = self.ix
        p = ix.parent[n]
        if p is not None and ix.name[p] == "<operator>.assignment" and n in self._targets(p):
            block = ix.parent[p]
            if block is not None and ix.parent[block] == 0:
                return p
        return None

    def _def_key(self, n: int) -> tuple:
        ix = self.ix
        m = ix.unit(n)
        name = ix.name[n]
        if name in ix.unit_facts(m)[1]:  # ``global x`` makes x the module's
            return ("var", ix.key, 0, name)
        return ("var", ix.key, m, name)

    def _is_with_target(self, t: int) -> bool:
        ix = self.ix
        if ix.kind[t] == NodeKind.IDENTIFIER:
            return not ix.rd_in.get(t)
        return ix.name[t] in _LITERALS

    def _guarded(self, use: int) -> int:
        """The rules whose guards clean this use of a variable."""
        if not self.guards:
            return 0
        ix = self.ix
        var = ix.name[use]
        mask = 0
        n: int | None = use
        while n is not None and self.unit_of[n] == self.unit:
            for names, m in self.guards.get(n, ()):
                if var in names:
                    mask |= m
            n = ix.parent[n]
        return mask

    def _operator(self, n: int, p: int, label: object, mask: int) -> None:
        ix = self.ix
        op = ix.name[p]
        if op == "<operator>.assignment" or ix.ast_type[p] == "AugAssign":
            if ix.ast_type[p] == "AugAssign":
                if ix.order[n] == 2:
                    for t in ix.children[p]:
                        if ix.order[t] == 1:
                            self.assign(t, label, mask, n)
                return
            if n == self._value_child(p):
                for t in self._targets(p):
                    self.assign(t, label, mask, n)
                if ix.ast_type[p] == "NamedExpr":
                    self.add(p, label, mask, (n, ()))
            return
        if op in _NO_FLOW_OPS:
            return
        kids = ix.children[p]
        if op in ("<operator>.fieldAccess", "<operator>.indexAccess"):
            if kids and kids[0] == n and not self._is_store_target(p):
                self.add(p, label, mask, (n, ()))
            return
        if op in ("<operator>.yield", "<operator>.yieldFrom"):
            self._return(n, p, label, mask)
            return
        if op in _LITERALS:
            a = ix.parent[p]
            if (
                a is not None
                and ix.name[a] == "<operator>.assignment"
                and p == self._value_child(a)
            ):
                targets = self._targets(a)
                if all(
                    ix.name[t] in _LITERALS and len(ix.children[t]) == len(kids) for t in targets
                ):
                    i = kids.index(n)
                    for t in targets:
                        self.assign(ix.children[t][i], label, mask, n)
                    return
        if self._is_store_target(p):
            return
        if mask & self.e.prefixed and kids and kids[0] != n:
            head = _constant_head(ix, p)
            if head is not None:  # "/fixed/path/" + x: the data cannot change where it leads
                mask &= ~self.e.prefix_mask(head)
        if ix.ast_type[p] == "IfExp" and kids and ix.order[n] == 1 and len(kids) == 3:
            return  # the test of ``a if test else b`` is not its value
        self.add(p, label, mask, (n, ()))

    def assign(self, target: int, label: object, mask: int, value: int) -> None:
        """The value node's label flows into an assignment target."""
        ix = self.ix
        if ix.kind[target] == NodeKind.IDENTIFIER:
            self.add(target, label, mask, (value, ()))
        elif ix.name[target] in _LITERALS or ix.name[target] == "<operator>.starred":
            for c in ix.children[target]:
                self.assign(c, label, mask, value)
        elif ix.is_field(target):
            self._store_field(target, label, mask, value)
        elif ix.is_index(target):
            self._store_sink(target, label, mask, value)
            base = ix.children[target][0] if ix.children[target] else None
            if base is not None:
                self.taint_object(base, label, mask, value)

    def _store_field(self, target: int, label: object, mask: int, value: int) -> None:
        ix = self.ix
        self._store_sink(target, label, mask, value)
        keys = self._field_keys(target)
        base = ix.children[target][0]
        on_self = ix.kind[base] == NodeKind.IDENTIFIER and ix.name[base] == self.self_name
        for key in keys:
            if key[0] == "attr" and not on_self:  # C.x = v: the class attribute
                fresh = _fresh(self._heap_have(label, key), mask)
                if fresh:
                    tr = self.traces(value, label, fresh, (ix.key, target))
                    self._heap_write(label, key, tr)
            self._local_field(key, label, mask, target)
        if on_self or (keys and keys[0][0] in ("field", "local")):
            self.taint_object(base, label, mask, value)  # the object now holds the data

    def _local_field(self, key: tuple, label: object, mask: int, target: int) -> None:
        """Reads of the same attribute in this unit see the store."""
        ix = self.ix
        have = self.local_fields[key].get(label, 0)
        if not mask & ~have:
            return
        self.local_fields[key][label] = have | mask
        if self.field_reads is None:
            self.field_reads = defaultdict(list)
            for n in self.nodes:
                if ix.is_field(n):
                    self.field_reads[ix.field(n)].append(n)
        for r in self.field_reads.get(key[-1], ()):
            if (
                r != target
                and not self._is_store_target(r)
                and key in self._field_keys(r)
                and (key[0] not in ("field", "local") or self._same_base(r, target))
            ):
                self.add(r, label, mask, (target, ()))

    def _same_base(self, a: int, b: int) -> bool:
        ix = self.ix
        ba, bb = ix.children[a][0], ix.children[b][0]
        if ix.kind[ba] != NodeKind.IDENTIFIER or ix.kind[bb] != NodeKind.IDENTIFIER:
            return False
        return ix.name[ba] == ix.name[bb] and set(ix.rd_in.get(ba, ())) == set(ix.rd_in.get(bb, ()))

    def taint_object(self, node: int, label: object, mask: int, value: int, depth: int = 0) -> None:
        """Something tainted was stored into the object ``node`` denotes."""
        ix = self.ix
        if depth > 8:
            return
        if ix.kind[node] == NodeKind.IDENTIFIER:
            defs = ix.rd_in.get(node, ())
            for d in defs:
                self.add(d, label, mask, (value, ()))
                if d in self.params and self.params.index(d) != label:
                    key = ("param", self.params.index(d))
                    fresh = _fresh(self.summary.heap.get((label, key)), mask)
                    if fresh:
                        tr = self.traces(value, label, fresh, (ix.key, node))
                        self.summary.add_heap(label, key, tr)
                alias = self._copied_from(d)  # view = parts: the same object
                if alias is not None and alias != node:
                    self.taint_object(alias, label, mask, value, depth + 1)
            if not defs and self.self_name != ix.name[node]:
                self.add(node, label, mask, (value, ()))
                if label == S:
                    keys = self._var_keys(node)
                    fresh = 0
                    for key in keys:
                        fresh |= _fresh(self.e.heap.get(key), mask)
                    if fresh:
                        tr = self.traces(value, label, fresh)
                        for key in keys:
                            self.e.write_heap(key, tr)
        elif ix.is_field(node):
            self._store_field(node, label, mask, value)
        elif ix.is_index(node) and ix.children[node]:
            self.taint_object(ix.children[node][0], label, mask, value, depth + 1)

    def _copied_from(self, d: int) -> int | None:
        """The IDENTIFIER a plain ``d = other`` assignment copies (aliases), if any."""
        ix = self.ix
        p = ix.parent[d]
        if p is None or ix.name[p] != "<operator>.assignment" or d not in self._targets(p):
            return None
        v = self._value_child(p)
        return v if v is not None and ix.kind[v] == NodeKind.IDENTIFIER else None

    def _store_sink(self, target: int, label: object, mask: int, value: int) -> None:
        ix = self.ix
        base = ix.children[target][0] if ix.children[target] else None
        if base is None:
            return
        hits = 0
        dotted = ix.dotted(base)
        inner = ix.children[base][0] if ix.is_field(base) else None
        for i in _bits(mask):
            spec = self.e.specs[i]
            if dotted and any(p.fullmatch(dotted) for p in spec["store_sinks"]):
                hits |= 1 << i
            if inner is not None and ix.kind[inner] == NodeKind.IDENTIFIER:
                for pname, attrs in spec["store_param_sinks"]:
                    if ix.name[inner] == pname and ix.field(base) in attrs:
                        hits |= 1 << i
        if hits:
            stmt = ix.parent[target]
            self._sink(stmt if stmt is not None else target, label, hits, value)

    def _sink(
        self, sink: int, label: object, mask: int, node: int, via: dict | None = None
    ) -> None:
        """Data of the rules in ``mask`` reaches a sink (from ``node``)."""
        loc = (self.ix.key, sink)
        for r in _bits(mask):
            if self._sink_kept(label, loc, r):
                continue  # the first trace found stays
            tr = _trace(self.trace(node, label, r), (via or {}).get(r, ()), [loc])
            if label == S:
                self.e.hit(r, loc, tr)
            else:
                self.summary.sinks[(label, loc, r)] = tr

    def _return(self, n: int, p: int, label: object, mask: int) -> None:
        ix, e = self.ix, self.e
        fresh = _fresh(self.summary.returns.get(label), mask)
        if fresh:
            self.summary.add_return(label, self.traces(n, label, fresh, (ix.key, p)))
        if ix.kind[p] != NodeKind.RETURN or ix.kind[self.unit] != NodeKind.METHOD:
            return
        hits = 0
        decos = None
        for i in _bits(mask):
            for pat, skip in e.specs[i]["return_sinks"]:
                if ix.name[n] in skip:
                    continue  # a dict or list display: sent as JSON
                if decos is None:
                    decos = ix.decorator_names(self.unit)
                if any(pat.fullmatch(d) for d in decos):
                    hits |= 1 << i
        if hits:
            self._sink(p, label, hits, n)

    # -- calls ------------------------------------------------------------------------------

    def _call_input(self, n: int, call: int, label: object, mask: int) -> None:
        ix, e = self.ix, self.e
        pos = None
        for lab, a in ix.args.get(call, ()):
            if a == n:
                pos = lab
                break
        if pos is None:
            kids = ix.children[call]
            if kids and kids[0] == n and ix.is_field(n):
                pos = "receiver"
            elif ix.name[n] == "<operator>.starred":
                pos = "*"
            else:
                return  # the callee expression itself
        full, name = ix.full_name[call], ix.name[call]
        hits = 0
        callees = ix.calls.get(call, ())
        if len(callees) > MAX_CALLEES:
            callees = ()  # too many candidates to tell: a call with no summary
        for r, sink in e.sinks_of(full, name):
            if callees and sink.names is None:
                continue  # a project function of that name: its body is analysed instead
            wanted = mask >> r & 1 and not hits >> r & 1 and _pos_matters(sink, pos)
            if wanted and check_conditions(ix, call, sink.where):
                hits |= 1 << r
        if hits:
            self._sink(call, label, hits, n)
        mask &= ~self._sanitized(call)
        if not mask:
            return
        if callees:
            self._apply(call, n, pos, label, mask, callees)
            return
        short = ix.callee_name(call)
        recv = ix.receiver.get(call)
        if short == "format" and recv is not None and pos != "receiver" and mask & e.prefixed:
            head = literal(ix, recv)
            if isinstance(head, str):  # "/fixed/{}".format(x)
                mask &= ~e.prefix_mask(head)
        if pos != "receiver" and recv is not None and short in e.sem.store_methods:
            self.taint_object(recv, label, mask, n)
        if recv is not None:
            for i in _bits(mask):
                for prop in e.specs[i]["propagators"]:
                    if (
                        prop.to == "receiver"
                        and prop.matches(full, name)
                        and (prop.args is None or pos in prop.args)
                    ):
                        self.taint_object(recv, label, 1 << i, n)
        self.add(call, label, mask, (n, ()))

    def _sanitized(self, call: int) -> int:
        ix, e = self.ix, self.e
        mask = e.clean_mask(ix.full_name[call], ix.name[call])
        if ix.receiver.get(call) is not None and ix.callee_name(call) in e.sem.clean_methods:
            mask = e.all
        return mask

    def _callees(self, call: int, callees) -> list[Loc]:
        """The functions a call runs: a decorated function whose name the value-flow call
        graph also binds to its decorator's wrapper is called through the wrapper only."""
        e = self.e
        known = [c for c in callees if c[0] in e.program.modules]
        written = self.ix.callee_name(call)
        wrapped = [
            c
            for c in known
            if e.program.index(c[0]).decorators(c[1])
            and e.program.index(c[0]).name[c[1]] == written
        ]
        if wrapped and len(wrapped) < len(known):
            return [c for c in callees if c not in wrapped]
        return list(callees)

    def _apply(self, call: int, n: int, pos: str, label: object, mask: int, callees) -> None:
        e = self.e
        for callee in self._callees(call, callees):
            cix = e.program.index(callee[0]) if callee[0] in e.program.modules else None
            if cix is None:
                self.add(call, label, mask, (n, ()))
                continue
            k = self._param_index(cix, callee[1], call, pos)
            if k is None:
                continue
            summ = e.summary((callee[0], cix.unit(callee[1])), k, (self.loc, self.seed))
            ret = summ.returns.get(k)
            if ret:
                self.add(call, label, mask & _mask_of(ret), (n, ret))
            for (kk, sink, r), tr in summ.sinks.items():
                if kk == k and mask >> r & 1:
                    if self._sink_kept(label, sink, r):
                        continue  # the first trace found stays
                    full = _trace(self.trace(n, label, r), tr)
                    if label == S:
                        e.hit(r, sink, full)
                    else:
                        self.summary.sinks[(label, sink, r)] = full
            for (kk, key), trs in summ.heap.items():
                if kk != k:
                    continue
                mine = {r: t for r, t in trs.items() if mask >> r & 1}
                if not mine:
                    continue
                if key[0] == "param":  # o.set(t), fill(xs, t): the object now holds t
                    self._taint_actual(call, cix, callee[1], key[1], label, mine, n)
                    continue
                fresh = _fresh(self._heap_have(label, key), _mask_of(mine))
                if fresh:
                    full = {
                        r: _trace(self.trace(n, label, r), t)
                        for r, t in mine.items()
                        if fresh >> r & 1
                    }
                    self._heap_write(label, key, full)

    def _taint_actual(
        self,
        call: int,
        cix: ModuleIndex,
        method: int,
        j: int,
        label,
        traces: dict[int, tuple[Loc, ...]],
        n: int | None,
    ) -> None:
        """What a call passes as the callee's parameter ``j`` now holds tainted data: the
        receiver, an argument, or (a constructor's ``self``) the new object."""
        ix = self.ix
        mask = _mask_of(traces)
        if cix.name[method] == "__init__" and j == 0:
            if ix.callee_name(call) == "__init__" and self.self_name is not None:
                # super().__init__(x) / Base.__init__(self, x): this object holds it
                self.add(self.params[0], label, mask, (n, traces))
                if label != 0:
                    self.summary.add_heap(label, ("param", 0), traces)
            else:
                self.add(call, label, mask, (n, traces))  # C(x): the new object holds it
            return
        params = cix.params(method)
        actuals = list(ix.args.get(call, ()))
        if call in ix.receiver:
            actuals.append(("receiver", ix.receiver[call]))
        for lab, a in actuals:
            if a != n and j < len(params) and self._param_index(cix, method, call, lab) == j:
                self.taint_object(a, label, mask, n if n is not None else call)

    def _param_index(self, cix: ModuleIndex, method: int, call: int, pos: str) -> int | None:
        """Which parameter of the callee receives the input at ``pos``."""
        params = cix.params(method) if cix.kind[method] == NodeKind.METHOD else []
        if not params:
            return None
        recv = self.ix.receiver.get(call)
        through_class = (  # Base.m(self, x): the class's function, self passed explicitly
            recv is not None
            and self.ix.kind[recv] == NodeKind.IDENTIFIER
            and (self.ix.name[recv] or "")[:1].isupper()
            and self.ix.resolution[call] != "class"
            and "classmethod" not in cix.decorator_names(method)
        )
        bound = (
            cix.class_of(method) is not None
            and not cix.is_static(method)
            and not through_class
            and (
                recv is not None
                or self.ix.resolution[call] == "class"
                or cix.name[method] == "__init__"
            )
        )
        offset = 1 if bound else 0
        if pos == "receiver":
            return 0 if bound else None
        if pos == "*":
            return offset if offset < len(params) else None
        if pos.isdigit():
            i = int(pos) - 1 + offset
            pos_params = [
                j
                for j, p in enumerate(params)
                if cix.subkind[p] in (Subkind.POSITIONAL_ONLY, Subkind.POSITIONAL)
            ]
            if i < len(pos_params):
                return pos_params[i]
            var = [j for j, p in enumerate(params) if cix.subkind[p] == Subkind.VARARG]
            return var[0] if var else None
        for j, p in enumerate(params):
            if cix.name[p] == pos and cix.subkind[p] not in (
                Subkind.VARARG,
                Subkind.KWARG,
                Subkind.POSITIONAL_ONLY,
            ):
                return j
        kw = [j for j, p in enumerate(params) if cix.subkind[p] == Subkind.KWARG]
        return kw[0] if kw else None


def _pos_matters(sink: CallPattern, pos: str) -> bool:
    """Whether an input at ``pos`` (a position, keyword, ``receiver`` or ``*``) is one of
    the arguments of a sink that matter."""
    if sink.args is None:
        return pos != "receiver"
    return pos == "*" or pos in sink.args
