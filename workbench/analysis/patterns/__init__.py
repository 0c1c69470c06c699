"""Pattern detection over CPGs: rules as YAML data, an interprocedural taint engine, findings.

- :mod:`.rules` reads and validates rule files (``docs/patterns.md`` is the format);
- :mod:`.matcher` runs node, metric and graph rules; :mod:`.taint` the taint rules;
- :mod:`.scan` runs a rule set over a store, a project or a folder (:func:`scan`);
- :mod:`.findings` fingerprints, suppressions and baselines; :mod:`.sarif` SARIF 2.1.0;
- :mod:`.accuracy` annotated examples, precision/recall and the A/B comparison;
- :mod:`.feedback` the ``findings`` and ``labels`` tables of a store.
"""

from workbench.analysis.patterns.rules import Rule, RuleSet, load_rules, rules_from_text
from workbench.analysis.patterns.scan import PatternMatcher, scan

__all__ = [
    "PatternMatcher",
    "Rule",
    "RuleSet",
    "load_rules",
    "rules_from_text",
    "scan",
]
