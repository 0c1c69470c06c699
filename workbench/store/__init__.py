"""The versioned store: Delta Lake tables of pyarrow-written Parquet, a store log, migrations."""

from workbench.store.store import FLAGS, IngestReport, Store, open_store

__all__ = ["FLAGS", "IngestReport", "Store", "open_store"]
