"""CPGSemantics: what depends on what (impact, slices), coupling and cohesion, critical
paths, architectural smells and function summaries, as DataFrames.

:class:`CPGSemantics` is the entry point: one per program (a store, a project or a CPG), with
the results cached. The analyses are plain functions of a
:class:`~workbench.analysis.tables.CodeTables` in the modules below.

============ ==============================================================================
module       what
============ ==============================================================================
sdg          the system dependence graph (statements; data, control, call, parameter and
             return dependences)
slicing      impact sets and program slices over it (context-sensitive, depth-limited)
paths        critical paths: the costliest path of a function, the longest call and data
             chains
coupling     module coupling (Ca, Ce, instability), class coupling, cohesion (LCOM4)
smells       architectural smells with their evidence
summaries    what each function reads, writes, raises and returns
============ ==============================================================================
"""

from workbench.analysis.semantics.api import CPGSemantics
from workbench.analysis.semantics.sdg import DEPENDENCES, DependenceGraph

__all__ = ["DEPENDENCES", "CPGSemantics", "DependenceGraph"]
