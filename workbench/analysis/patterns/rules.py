"""Pattern rules as data: YAML files read into validated :class:`Rule` objects.

A rule file holds one rule (a mapping with ``id``) or a set (a mapping with ``rules:``). The
format is documented in ``docs/patterns.md``; every field is checked here, and a malformed
file raises :class:`~workbench.errors.RuleError` naming the file, the rule and the field, so
nothing half-read is ever run.

Examples
--------
>>> rules = load_rules()                                   # the built-in rules
>>> rules["py.command-injection"].kind, rules["py.command-injection"].cwe
('taint', (78,))
>>> one = rules_from_text('''
... id: my.eval
... version: 2
... kind: node
... message: eval is dangerous
... severity: warning
... cwe: [95]
... match: {call: builtins.eval}
... ''')
>>> one["my.eval"].version, one["my.eval"].spec["match"][0].names.match("builtins.eval") is not None
(2, True)
"""

from __future__ import annotations

import copy
import fnmatch
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import NotFoundError, RuleError

__all__ = [
    "BUILTIN_DIR",
    "CallPattern",
    "Condition",
    "Rule",
    "RuleSet",
    "Semantics",
    "load_rules",
    "rules_from_text",
]

#: Where the built-in rules live (one YAML file per CWE family, plus ``_semantics.yaml``).
BUILTIN_DIR = Path(__file__).parent / "rules"
KINDS = ("node", "metric", "graph", "taint")
SEVERITIES = ("error", "warning", "note")
CATEGORIES = ("security", "quality")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_COMMON = {"id", "version", "kind", "message", "severity", "cwe", "category", "description"}
_KIND_KEYS = {
    "node": {"match"},
    "metric": {"target", "where"},
    "graph": {"target", "where", "in_call_cycle"},
    "taint": {"sources", "sinks", "sanitizers", "propagators"},
}
_OPS = ("=", "!=", "<", "<=", ">", ">=")
#: Columns metric and graph rules may test: the function table's, then the call-graph
#: metrics of the query layer (workbench.analysis.query.METRICS)
METRIC_COLUMNS = (
    "complexity",
    "cyclomatic",
    "fan_out",
    "nesting",
    "statements",
    "parameter_count",
    "cfg_nodes",
    "unreachable",
    "pagerank",
    "betweenness",
    "closeness",
    "fan_in",
    "community",
    "impact",
    "reach",
)
#: ``returned_not`` names -> the CPG operator of that display
_DISPLAYS = {
    "dict": "<operator>.dictLiteral",
    "list": "<operator>.listLiteral",
    "set": "<operator>.setLiteral",
    "tuple": "<operator>.tupleLiteral",
}


def glob(patterns: str | Iterable[str]) -> re.Pattern | None:
    """One regular expression matching any of the glob patterns (``*`` matches dots too).

    >>> glob(["os.system", "subprocess.*"]).match("subprocess.run") is not None
    True
    >>> glob([]) is None
    True
    """
    if isinstance(patterns, str):
        patterns = [patterns]
    parts = [fnmatch.translate(p) for p in patterns]
    return re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None


@dataclass(frozen=True)
class Condition:
    """One ``where`` condition of a node rule or a sink.

    ``on`` is ``keyword``, ``argument`` or ``assigned_to``; ``key`` the keyword name or the
    1-based position; ``op`` one of ``is``, ``missing``, ``not_in``, ``literal``,
    ``matches``; ``value`` its operand.
    """

    on: str
    key: str | int | None
    op: str
    value: Any


@dataclass(frozen=True)
class CallPattern:
    """Calls named by full-name globs (``names``) or by method short names (``methods``),
    with the arguments that matter (``args``: positions as ``"1"``..., keyword names; None:
    all) and conditions that must all hold."""

    names: re.Pattern | None = None
    methods: frozenset[str] = frozenset()
    args: tuple[str, ...] | None = None
    where: tuple[Condition, ...] = ()
    to: str = "return"

    def matches(self, full_name: str | None, name: str | None) -> bool:
        """Whether a call with this full name / written name is one of the pattern's."""
        if self.names is not None and full_name and self.names.fullmatch(full_name):
            return True
        if self.methods and name:
            return name.rpartition(".")[2] in self.methods
        return False


@dataclass(frozen=True)
class Semantics:
    """What the engine knows of library calls for every rule (``_semantics.yaml``)."""

    clean_calls: re.Pattern | None = None
    clean_methods: frozenset[str] = frozenset()
    store_methods: frozenset[str] = frozenset()
    #: calls that never return (``sys.exit``, ``flask.abort``): code after them is not reached
    no_return_calls: re.Pattern | None = None


@dataclass(frozen=True)
class Rule:
    """One validated rule. ``spec`` holds the kind's own part, normalised."""

    id: str
    version: int
    kind: str
    message: str
    severity: str
    cwe: tuple[int, ...]
    category: str
    description: str
    spec: Mapping[str, Any] = field(repr=False, compare=False)
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    origin: str = field(default="", compare=False)

    def to_dict(self) -> dict:
        """The rule as the plain mapping it was read from (JSON-able): a deep copy, so
        editing it (to write a new version of the rule) leaves this rule as it is."""
        return copy.deepcopy(self.raw)

    @property
    def key(self) -> str:
        """Hash of the rule's content: two rules with equal keys behave alike."""
        text = json.dumps(self.raw, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class RuleSet:
    """An ordered, validated set of rules with the library semantics they run with.

    Indexable by rule id; iterating gives the rules sorted by id.
    """

    def __init__(self, rules: Iterable[Rule], semantics: Semantics | None = None) -> None:
        by_id: dict[str, Rule] = {}
        for r in rules:
            if r.id in by_id:
                raise RuleError(
                    f"rule {r.id!r} is defined twice ({by_id[r.id].origin} and {r.origin})"
                )
            by_id[r.id] = r
        self._rules = dict(sorted(by_id.items()))
        self.semantics = semantics or Semantics()

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __getitem__(self, rule_id: str) -> Rule:
        try:
            return self._rules[rule_id]
        except KeyError:
            raise NotFoundError(f"no rule {rule_id!r}; rules: {', '.join(self._rules)}") from None

    def __repr__(self) -> str:
        kinds = {k: sum(r.kind == k for r in self) for k in KINDS}
        return (
            f"<RuleSet {len(self)} rules: " + ", ".join(f"{v} {k}" for k, v in kinds.items()) + ">"
        )

    @property
    def ids(self) -> list[str]:
        return list(self._rules)

    def select(
        self,
        ids: Iterable[str] | None = None,
        *,
        kinds: Iterable[str] | None = None,
        cwe: Iterable[int] | None = None,
    ) -> RuleSet:
        """The rules with these ids / kinds / CWEs (each filter optional)."""
        rules = list(self)
        if ids is not None:
            wanted = list(ids)
            for i in wanted:
                self[i]  # raises NotFoundError for an unknown id
            rules = [r for r in rules if r.id in set(wanted)]
        if kinds is not None:
            ks = set(kinds)
            bad = ks - set(KINDS)
            if bad:
                raise RuleError(f"unknown rule kinds {sorted(bad)}; kinds: {', '.join(KINDS)}")
            rules = [r for r in rules if r.kind in ks]
        if cwe is not None:
            cs = {int(c) for c in cwe}
            rules = [r for r in rules if cs & set(r.cwe)]
        return RuleSet(rules, self.semantics)

    def to_frame(self):
        """The rules as a DataFrame: id, version, kind, severity, cwe, category, message."""
        import pandas as pd

        cols = ["id", "version", "kind", "severity", "cwe", "category", "message", "origin"]
        return pd.DataFrame(
            [
                {c: (list(getattr(r, c)) if c == "cwe" else getattr(r, c)) for c in cols}
                for r in self
            ],
            columns=cols,
        )

    @property
    def key(self) -> str:
        """Hash of every rule's content and the semantics: the set's version."""
        h = hashlib.sha256()
        for r in self:
            h.update(f"{r.id}:{r.key};".encode())
        return h.hexdigest()[:16]


# -- reading -------------------------------------------------------------------------------------


def load_rules(
    paths: str | os.PathLike | Iterable[str | os.PathLike] | None = None,
    *,
    semantics: str | os.PathLike | None = None,
) -> RuleSet:
    """Read rules from YAML files or folders (default: the built-in rules).

    Parameters
    ----------
    paths
        Files (``.yaml``/``.yml``) or folders (every such file in it, sorted; files whose
        name starts with ``_`` hold library semantics, not rules).
    semantics
        A semantics file (default: the ``_semantics.yaml`` of the one folder given that
        has one, else the built-in one).

    Raises
    ------
    RuleError
        A file is missing, not YAML, or a rule in it is malformed; nothing is returned.
    """
    if paths is None:
        paths = [BUILTIN_DIR]
    elif isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    files: list[Path] = []
    own: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            if (p / "_semantics.yaml").is_file() and p.resolve() != BUILTIN_DIR.resolve():
                own.append(p / "_semantics.yaml")
            files += sorted(
                f
                for f in p.iterdir()
                if f.suffix in (".yaml", ".yml") and not f.name.startswith("_")
            )
        elif p.is_file():
            files.append(p)
        else:
            raise RuleError(f"{p}: no such rule file or folder")
    if not files:
        raise RuleError(f"no rule files (.yaml, .yml) in {', '.join(str(p) for p in paths)}")
    rules: list[Rule] = []
    for f in files:
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise RuleError(f"{f}: cannot read: {e}") from None
        rules += _rules_of(_yaml(text, str(f)), str(f))
    if semantics is None and len(own) > 1:
        raise RuleError(
            f"{len(own)} rule folders have a _semantics.yaml ({', '.join(map(str, own))}): "
            "pass semantics= to choose one"
        )
    if semantics is not None:
        sem_path = Path(semantics)
    else:
        sem_path = own[0] if own else BUILTIN_DIR / "_semantics.yaml"
    return RuleSet(rules, _semantics_of(sem_path))


def rules_from_text(text: str, origin: str = "<text>") -> RuleSet:
    """Rules from YAML text (one rule or a ``rules:`` set), with the built-in semantics."""
    return RuleSet(
        _rules_of(_yaml(text, origin), origin), _semantics_of(BUILTIN_DIR / "_semantics.yaml")
    )


#: Most values a rule file may expand to (YAML aliases share nodes: a small file can stand
#: for an exponential tree)
MAX_VALUES = 100_000


def _yaml(text: str, origin: str) -> Any:
    import yaml

    class Loader(yaml.SafeLoader):
        """Safe loading that refuses a key given twice in one mapping."""

    def mapping(loader, node, deep=False):
        keys = set()
        for k, _ in node.value:
            key = loader.construct_object(k, deep=deep)
            if isinstance(key, str) and key in keys:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} given twice", k.start_mark
                )
            if isinstance(key, str):
                keys.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    try:
        data = yaml.load(text, Loader=Loader)  # a SafeLoader subclass
    except yaml.YAMLError as e:
        raise RuleError(f"{origin}: not valid YAML: {e}") from None
    except RecursionError:
        raise RuleError(f"{origin}: nested too deeply") from None
    if _expanded_size(data, {}) > MAX_VALUES:
        raise RuleError(f"{origin}: expands to more than {MAX_VALUES} values (YAML aliases)")
    return data


def _expanded_size(value: Any, seen: dict[int, int]) -> int:
    """How many values ``value`` stands for with every alias expanded (memoised by
    identity: shared nodes are counted once per use, without expanding them)."""
    if not isinstance(value, (list, dict)):
        return 1
    if id(value) in seen:
        return seen[id(value)]
    seen[id(value)] = MAX_VALUES + 1  # a cycle (recursive alias) is too large
    items = value.values() if isinstance(value, dict) else value
    total = 1
    for v in items:
        total += _expanded_size(v, seen)
        if total > MAX_VALUES:
            break
    seen[id(value)] = total
    return total


def _semantics_of(path: Path) -> Semantics:
    if not path.is_file():
        if path == BUILTIN_DIR / "_semantics.yaml":
            return Semantics()
        raise RuleError(f"{path}: no such semantics file")
    data = _yaml(path.read_text(encoding="utf-8"), str(path)) or {}
    if not isinstance(data, dict):
        raise RuleError(f"{path}: semantics must be a mapping")
    keys = ("clean_calls", "clean_methods", "store_methods", "no_return_calls")
    unknown = sorted(set(data) - set(keys))
    if unknown:
        raise RuleError(f"{path}: unknown keys {unknown}; semantics keys: {', '.join(keys)}")

    def names(key: str) -> list[str]:
        v = data.get(key, []) or []
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise RuleError(f"{path}: {key} must be a list of names")
        return v

    return Semantics(
        clean_calls=glob(names("clean_calls")),
        clean_methods=frozenset(names("clean_methods")),
        store_methods=frozenset(names("store_methods")),
        no_return_calls=glob(names("no_return_calls")),
    )


def _rules_of(data: Any, origin: str) -> list[Rule]:
    if isinstance(data, dict) and "rules" in data and "id" not in data:
        items = data["rules"]
        if not isinstance(items, list):
            raise RuleError(f"{origin}: 'rules' must be a list of rules")
        extra = sorted(set(data) - {"rules"})
        if extra:
            raise RuleError(f"{origin}: unknown keys {extra} beside 'rules'")
    elif isinstance(data, dict):
        items = [data]
    else:
        raise RuleError(f"{origin}: a rule file holds a rule (a mapping with 'id') or 'rules:'")
    return [_rule(item, origin, i) for i, item in enumerate(items)]


class _Where:
    """Context for error messages: file, rule and field."""

    def __init__(self, origin: str, rule: str) -> None:
        self.origin, self.rule = origin, rule

    def error(self, field_: str, msg: str) -> RuleError:
        return RuleError(f"{self.origin}: rule {self.rule}: {field_}: {msg}")


def _rule(data: Any, origin: str, index: int) -> Rule:
    if not isinstance(data, dict):
        raise RuleError(f"{origin}: rule #{index + 1} is not a mapping")
    rid = data.get("id")
    w = _Where(origin, repr(rid) if rid is not None else f"#{index + 1}")
    if not isinstance(rid, str) or not _ID.match(rid):
        raise w.error("id", "required; lower-case letters, digits, '.', '_', '-'")
    for key in ("version", "kind", "message", "severity"):
        if key not in data:
            raise w.error(key, "required")
    version = data["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise w.error("version", f"an integer >= 1, not {version!r}")
    kind = data["kind"]
    if kind not in KINDS:
        raise w.error("kind", f"one of {', '.join(KINDS)}, not {kind!r}")
    unknown = set(data) - _COMMON - _KIND_KEYS[kind]
    if unknown:
        raise w.error(", ".join(sorted(unknown)), f"unknown field(s) for a {kind} rule")
    if not isinstance(data["message"], str) or not data["message"].strip():
        raise w.error("message", "a non-empty string")
    if data["severity"] not in SEVERITIES:
        raise w.error("severity", f"one of {', '.join(SEVERITIES)}, not {data['severity']!r}")
    cwe = data.get("cwe", []) or []
    if not isinstance(cwe, list) or not all(
        isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in cwe
    ):
        raise w.error("cwe", f"a list of CWE numbers, not {cwe!r}")
    category = data.get("category", "security" if cwe else "quality")
    if category not in CATEGORIES:
        raise w.error("category", f"one of {', '.join(CATEGORIES)}, not {category!r}")
    description = data.get("description", "") or ""
    if not isinstance(description, str):
        raise w.error("description", "a string")
    spec = {"node": _node_spec, "metric": _metric_spec, "graph": _graph_spec, "taint": _taint_spec}[
        kind
    ](data, w)
    return Rule(
        id=rid,
        version=version,
        kind=kind,
        message=data["message"].strip(),
        severity=data["severity"],
        cwe=tuple(sorted(set(cwe))),
        category=category,
        description=description.strip(),
        spec=spec,
        raw=json.loads(json.dumps(data, default=str)),
        origin=origin,
    )


def _str_list(v: Any, w: _Where, where: str) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, list) and v and all(isinstance(x, str) for x in v):
        return v
    raise w.error(where, f"a name or a non-empty list of names, not {v!r}")


def _args(v: Any, w: _Where, where: str) -> tuple[str, ...] | None:
    if v is None:
        return None
    if isinstance(v, (int, str)):
        v = [v]
    if not isinstance(v, list) or not v:
        raise w.error(where, "a list of 1-based positions or keyword names")
    out = []
    for a in v:
        if isinstance(a, bool) or not isinstance(a, (int, str)) or (isinstance(a, int) and a < 1):
            raise w.error(where, f"{a!r} is neither a 1-based position nor a keyword name")
        out.append(str(a))
    return tuple(out)


def _conditions(v: Any, w: _Where, where: str) -> tuple[Condition, ...]:
    if v is None:
        return ()
    if isinstance(v, dict):
        v = [v]
    if not isinstance(v, list):
        raise w.error(where, "a list of conditions")
    out = []
    for c in v:
        if not isinstance(c, dict):
            raise w.error(where, f"condition {c!r} is not a mapping")
        c = dict(c)
        if "assigned_to" in c:
            pat = c.pop("assigned_to")
            if c:
                raise w.error(where, f"unknown keys {sorted(c)} beside assigned_to")
            try:
                out.append(Condition("assigned_to", None, "matches", re.compile(pat)))
            except (re.error, TypeError) as e:
                raise w.error(where, f"assigned_to: bad regular expression: {e}") from None
            continue
        if "keyword" in c:
            on, key = "keyword", c.pop("keyword")
            if not isinstance(key, str):
                raise w.error(where, f"keyword must be a name, not {key!r}")
        elif "argument" in c:
            on, key = "argument", c.pop("argument")
            if isinstance(key, bool) or not isinstance(key, int) or key < 1:
                raise w.error(where, f"argument must be a 1-based position, not {key!r}")
        else:
            raise w.error(where, f"condition {c!r} names no keyword, argument or assigned_to")
        if len(c) != 1:
            raise w.error(where, f"a condition has one test (is, missing, ...), not {sorted(c)}")
        op, value = next(iter(c.items()))
        if op == "not_in":
            value = tuple(
                str(x)
                for x in _str_list(
                    [str(x) for x in value] if isinstance(value, list) else value, w, where
                )
            )
        elif op == "matches":
            try:
                value = re.compile(value)
            except (re.error, TypeError) as e:
                raise w.error(where, f"matches: bad regular expression: {e}") from None
        elif op == "not_from":
            value = _call_pattern(value, w, where + ".not_from", args=False)
        elif op in ("missing", "literal"):
            if not isinstance(value, bool):
                raise w.error(where, f"{op} takes true or false")
        elif op != "is":
            raise w.error(
                where,
                f"unknown test {op!r}; tests: is, missing, not_in, literal, matches, not_from",
            )
        out.append(Condition(on, key, op, value))
    return tuple(out)


def _call_pattern(
    d: Any, w: _Where, where: str, *, args: bool, extra: tuple[str, ...] = ()
) -> CallPattern:
    if not isinstance(d, dict):
        raise w.error(where, f"{d!r} is not a mapping")
    allowed = {"call", "method", "where"} | ({"args"} if args else set()) | set(extra)
    unknown = set(d) - allowed
    if unknown:
        raise w.error(where, f"unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")
    if "call" not in d and "method" not in d:
        raise w.error(where, "needs 'call' (full names) or 'method' (short names)")
    names = glob(_str_list(d["call"], w, where + ".call")) if "call" in d else None
    methods = (
        frozenset(_str_list(d["method"], w, where + ".method")) if "method" in d else frozenset()
    )
    to = d.get("to", "return")
    if to not in ("return", "receiver"):
        raise w.error(where + ".to", f"'return' or 'receiver', not {to!r}")
    return CallPattern(
        names,
        methods,
        _args(d.get("args", d.get("from")), w, where + ".args"),
        _conditions(d.get("where"), w, where + ".where"),
        to,
    )


def _node_spec(data: dict, w: _Where) -> dict:
    m = data.get("match")
    if m is None:
        raise w.error("match", "required for a node rule")
    items = m if isinstance(m, list) else [m]
    if not items:
        raise w.error("match", "at least one pattern")
    return {
        "match": tuple(_call_pattern(x, w, f"match[{i}]", args=False) for i, x in enumerate(items))
    }


def _where_query(v: Any, w: _Where) -> tuple[tuple[str, str, Any], ...]:
    if v is None:
        return ()
    if not isinstance(v, list):
        raise w.error("where", "a list of [column, operator, value]")
    out = []
    for c in v:
        if not (isinstance(c, list) and len(c) == 3 and isinstance(c[0], str)):
            raise w.error("where", f"{c!r} is not [column, operator, value]")
        col, op, value = c
        if op not in _OPS:
            raise w.error("where", f"operator {op!r}; operators: {' '.join(_OPS)}")
        if col not in METRIC_COLUMNS:
            raise w.error("where", f"unknown column {col!r}; columns: {', '.join(METRIC_COLUMNS)}")
        q = value.get("percentile") if isinstance(value, dict) else None
        if isinstance(value, dict):
            if (
                set(value) != {"percentile"}
                or isinstance(q, bool)
                or not isinstance(q, (int, float))
                or not 0 <= q <= 100
            ):
                raise w.error("where", f"{value!r}: a number or {{percentile: 0..100}}")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise w.error("where", f"{col} {op} {value!r}: a number or {{percentile: q}}")
        out.append((col, op, value))
    return tuple(out)


def _target(data: dict, w: _Where) -> str:
    t = data.get("target", "function")
    if t != "function":
        raise w.error("target", f"'function' (the only target so far), not {t!r}")
    return t


def _metric_spec(data: dict, w: _Where) -> dict:
    where = _where_query(data.get("where"), w)
    if not where:
        raise w.error("where", "a metric rule needs at least one condition")
    return {"target": _target(data, w), "where": where}


def _graph_spec(data: dict, w: _Where) -> dict:
    cyc = data.get("in_call_cycle")
    if cyc is not None and not isinstance(cyc, bool):
        raise w.error("in_call_cycle", "true or false")
    where = _where_query(data.get("where"), w)
    if not where and cyc is None:
        raise w.error("where", "a graph rule needs in_call_cycle or conditions")
    return {"target": _target(data, w), "where": where, "in_call_cycle": cyc}


def _decorators(v: Any, w: _Where, where: str) -> re.Pattern:
    if not isinstance(v, dict) or set(v) != {"decorator"}:
        raise w.error(where, "{decorator: [patterns]}")
    return glob(_str_list(v["decorator"], w, where + ".decorator"))


def _param_attr(v: Any, w: _Where, where: str) -> tuple[str, frozenset[str]]:
    if (
        not isinstance(v, dict)
        or "attribute" not in v
        or set(v) - {"name", "parameter", "attribute"}
    ):
        raise w.error(where, "{name: parameter name, attribute: [attribute names]}")
    name = v.get("name", v.get("parameter"))
    if not isinstance(name, str):
        raise w.error(where, "the parameter's name is required")
    return name, frozenset(_str_list(v["attribute"], w, where + ".attribute"))


def _taint_spec(data: dict, w: _Where) -> dict:
    spec: dict[str, Any] = {
        "source_calls": [],
        "source_attrs": [],
        "source_attr_names": [],
        "source_params": [],
        "source_param_attrs": [],
        "sinks": [],
        "return_sinks": [],
        "store_sinks": [],
        "store_param_sinks": [],
        "sanitizers": [],
        "guards": False,
        "allowlist": False,
        "guard_calls": [],
        "prefixes": [],
        "propagators": [],
    }
    for key in ("sources", "sinks"):
        if not isinstance(data.get(key), list) or not data[key]:
            raise w.error(key, "a non-empty list")
    for i, s in enumerate(data["sources"]):
        at = f"sources[{i}]"
        if not isinstance(s, dict) or len(s) != 1:
            raise w.error(
                at, "one of {call: ...}, {method: ...}, {attribute: ...}, {parameter: ...}"
            )
        ((k, v),) = s.items()
        if k in ("call", "method"):
            spec["source_calls"].append(_call_pattern(s, w, at, args=False))
        elif k == "attribute":
            spec["source_attrs"].append(glob(_str_list(v, w, at)))
            spec["source_attr_names"] += _str_list(v, w, at)
        elif k == "parameter":
            if isinstance(v, dict) and "decorator" in v:
                spec["source_params"].append(_decorators(v, w, at))
            else:
                spec["source_param_attrs"].append(_param_attr(v, w, at))
        else:
            raise w.error(at, f"unknown source kind {k!r}")
    for i, s in enumerate(data["sinks"]):
        at = f"sinks[{i}]"
        if isinstance(s, dict) and "return" in s:
            if set(s) - {"return", "where"}:
                raise w.error(at, "a return sink has 'return' and optionally 'where'")
            skip: set[str] = set()
            for c in s.get("where") or []:
                if not isinstance(c, dict) or set(c) != {"returned_not"}:
                    raise w.error(at + ".where", "[{returned_not: [dict, list, set, tuple]}]")
                kinds = _str_list(c["returned_not"], w, at + ".where")
                bad = set(kinds) - set(_DISPLAYS)
                if bad:
                    raise w.error(
                        at + ".where", f"returned_not: {sorted(bad)}; known: {sorted(_DISPLAYS)}"
                    )
                skip |= {_DISPLAYS[k] for k in kinds}
            spec["return_sinks"].append(
                (_decorators(s["return"], w, at + ".return"), frozenset(skip))
            )
        elif isinstance(s, dict) and "store" in s:
            if len(s) != 1:
                raise w.error(at, "a store sink has no other keys")
            items = s["store"] if isinstance(s["store"], list) else [s["store"]]
            names = [x for x in items if isinstance(x, str)]
            for x in items:
                if isinstance(x, dict):
                    spec["store_param_sinks"].append(_param_attr(x, w, at + ".store"))
                elif not isinstance(x, str):
                    raise w.error(at + ".store", f"{x!r}: a name or {{parameter, attribute}}")
            if names:
                spec["store_sinks"].append(glob(names))
        else:
            spec["sinks"].append(_call_pattern(s, w, at, args=True))
    for i, s in enumerate(data.get("sanitizers") or []):
        at = f"sanitizers[{i}]"
        if isinstance(s, dict) and set(s) == {"guard"}:
            g = s["guard"]
            if g == "allowlist":
                spec["guards"] = spec["allowlist"] = True
                continue
            if not isinstance(g, dict) or "cleans" not in g:
                raise w.error(
                    at, "guard: 'allowlist' or {call|method: ..., cleans: receiver | [args]}"
                )
            cleans = g["cleans"]
            cleans = "receiver" if cleans == "receiver" else _args(cleans, w, at + ".cleans")
            rest = {k: v for k, v in g.items() if k != "cleans"}
            spec["guard_calls"].append((_call_pattern(rest, w, at, args=False), cleans))
            spec["guards"] = True
        elif isinstance(s, dict) and set(s) == {"prefix"}:
            try:
                spec["prefixes"].append(re.compile(s["prefix"]))
            except (re.error, TypeError) as e:
                raise w.error(at, f"prefix: bad regular expression: {e}") from None
        else:
            spec["sanitizers"].append(_call_pattern(s, w, at, args=False))
    for i, s in enumerate(data.get("propagators") or []):
        spec["propagators"].append(
            _call_pattern(s, w, f"propagators[{i}]", args=False, extra=("from", "to"))
        )
    return {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()}
