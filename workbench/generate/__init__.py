"""Progressive CPG generation into a store (process pool, or any executor such as Dask's)."""

from workbench.generate.scheduler import GenerationReport, ProgressEvent, generate, plan

__all__ = ["GenerationReport", "ProgressEvent", "generate", "plan"]
