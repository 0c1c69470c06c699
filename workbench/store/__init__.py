"""The versioned store: Delta Lake tables of pyarrow-written Parquet, a store log, migrations.

Storage only: this package imports nothing from the frontends, the passes or the pipeline.
Every write goes through :meth:`Store.transaction`.
"""

from workbench.store.store import FLAGS, Store, copy_store, crashpoint, open_store, provide
from workbench.store.transaction import StagedFile, Transaction

__all__ = [
    "FLAGS",
    "StagedFile",
    "Store",
    "Transaction",
    "copy_store",
    "crashpoint",
    "open_store",
    "provide",
]
