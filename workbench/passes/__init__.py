"""Language-neutral passes over index-based control-flow graphs."""

from workbench.passes.cdg import control_dependences
from workbench.passes.dominators import immediate_dominators, predecessors, reverse_postorder
from workbench.passes.reaching_defs import reaching_definitions

__all__ = [
    "control_dependences",
    "immediate_dominators",
    "predecessors",
    "reaching_definitions",
    "reverse_postorder",
]
