"""CPG Workbench: build, store, query and analyse Code Property Graphs from a notebook.

>>> import workbench as wb
>>> cpg = wb.build_cpg("def f(x):\\n    return x + 1\\n", path="m.py")
>>> cpg.methods.column("full_name").to_pylist()
['m.<module>', 'm.f']
"""

from workbench import telemetry
from workbench.cpg.graph import CPG, CPGFrames, ModuleInfo
from workbench.cpg.schema import SCHEMA_VERSION, CfgLabel, EdgeKind, NodeKind, Resolution
from workbench.errors import WorkbenchError
from workbench.frontends.python import GENERATOR, Limits, build_cpg
from workbench.pipeline import Project, build_project, generate, ingest, write_cpg
from workbench.store import Store, open_store

__version__ = "0.1.0"

#: Names of the analysis layer, imported on first use (it loads networkx, rustworkx, scipy).
_ANALYSIS = (
    "Budget",
    "CPGMath",
    "CPGSemantics",
    "FallbackWarning",
    "Percentile",
    "Query",
    "execute_with_fallback",
    "relations",
)


def __getattr__(name: str):
    if name in _ANALYSIS:
        import workbench.analysis

        return getattr(workbench.analysis, name)
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


__all__ = [
    "CPG",
    "GENERATOR",
    "SCHEMA_VERSION",
    "Budget",
    "CPGFrames",
    "CPGMath",
    "CPGSemantics",
    "CfgLabel",
    "EdgeKind",
    "FallbackWarning",
    "Limits",
    "ModuleInfo",
    "NodeKind",
    "Percentile",
    "Project",
    "Query",
    "Resolution",
    "Store",
    "WorkbenchError",
    "__version__",
    "build_cpg",
    "build_project",
    "execute_with_fallback",
    "generate",
    "ingest",
    "open_store",
    "relations",
    "telemetry",
    "write_cpg",
]
