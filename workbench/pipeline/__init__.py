"""The pipeline: everything that turns source into stored data, above the store.

* :func:`ingest` parses a source tree into the AST repository;
* :func:`generate` builds pending modules' CPGs progressively (scheduler, workers,
  committer);
* :func:`write_cpg` stores CPGs built elsewhere; :func:`relink` re-derives cross-module calls;
* :func:`repair` rebuilds or restores what ``verify`` finds damaged;
* :func:`build_project` builds a whole tree in memory, without a store;
* :func:`store_call_graph` solves the value-flow call graph of a store's modules;
* :func:`discover` finds a tree's modules and says which paths it skips and why.

Every write goes through the store's public transaction API. Importing this package also
provides ``Store.ingest``, ``Store.generate`` and ``Store.write_cpg`` (the store calls them
without importing this layer).
"""

from workbench.pipeline.builds import write_cpg
from workbench.pipeline.callgraph import store_call_graph
from workbench.pipeline.discover import Discovery, Skipped, discover, find_modules
from workbench.pipeline.ingest import IngestReport, ingest
from workbench.pipeline.link import relink
from workbench.pipeline.project import Project, build_project
from workbench.pipeline.repair import repair
from workbench.pipeline.scheduler import GenerationReport, ProgressEvent, generate, plan
from workbench.store import provide

provide("ingest", ingest)
provide("generate", generate)
provide("write_cpg", write_cpg)
provide("call_graph", store_call_graph)

__all__ = [
    "Discovery",
    "GenerationReport",
    "IngestReport",
    "ProgressEvent",
    "Project",
    "Skipped",
    "build_project",
    "discover",
    "find_modules",
    "generate",
    "ingest",
    "plan",
    "relink",
    "repair",
    "store_call_graph",
    "write_cpg",
]
