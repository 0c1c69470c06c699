"""The CPG data model: schema (kinds and tables) and the CPG object."""

from workbench.cpg.graph import CPG, CPGFrames, ModuleInfo
from workbench.cpg.schema import EdgeKind, NodeKind

__all__ = ["CPG", "CPGFrames", "EdgeKind", "ModuleInfo", "NodeKind"]
