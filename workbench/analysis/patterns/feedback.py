"""Findings and user feedback in a store: the ``findings`` and ``labels`` tables.

:func:`save_findings` keeps the findings of the last scan (one transaction: the table is
replaced, so a scan interrupted half-way leaves the previous findings). :func:`record_feedback`
records that a finding is a true or a false positive (``tp`` / ``fp``) with a note; the label
is keyed by the finding's fingerprint, so it survives unrelated edits and rescans, and a new
verdict on the same finding replaces the old one. Labels feed
:func:`workbench.analysis.patterns.compare` (the A/B test of two rule versions).

Both tables belong to schema v2 (a rollback to v1 drops them with the other CPG tables: export
labels first with ``labels(store).to_parquet(...)``). A v2 store made before these tables
existed gets them on the first write.
"""

from __future__ import annotations

import datetime as dt
import getpass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.analysis.patterns import findings as F
from workbench.cpg.schema import FINDINGS, LABELS
from workbench.errors import FindingsError

__all__ = ["VERDICTS", "labels", "record_feedback", "save_findings", "stored_findings"]

#: Verdicts a label may carry: true positive, false positive.
VERDICTS = ("tp", "fp")


def _ensure(tx, name: str) -> None:
    if not tx.has_table(name):
        tx.create_table(name)


def save_findings(store, findings: pd.DataFrame) -> int:
    """Replace the store's findings by these (the result of a scan); the number of rows."""
    store.require_cpg()
    table = F.to_arrow(findings)
    with store.transaction("findings") as tx:
        _ensure(tx, "findings")
        tx.rewrite("findings", table)
    return table.num_rows


def _read(store, name: str, schema: pa.Schema) -> pa.Table:
    store.require_cpg()
    if name not in store.tables:
        return schema.empty_table()
    return store.read_table(name)


def stored_findings(store) -> pd.DataFrame:
    """The findings the last saved scan left in the store (same columns as a scan's)."""
    return F.to_frame(_read(store, "findings", FINDINGS).to_pylist())


def labels(store) -> pd.DataFrame:
    """Every feedback label: fingerprint, rule_id, verdict, note, author, labelled_at."""
    return _read(store, "labels", LABELS).sort_by("fingerprint").to_pandas()


def record_feedback(
    store,
    fingerprint: str,
    verdict: str,
    note: str | None = None,
    *,
    author: str | None = None,
    findings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Record that a finding is a true (``tp``) or false (``fp``) positive.

    Parameters
    ----------
    fingerprint
        The finding's fingerprint (a unique prefix of at least 8 characters is enough).
    findings
        Where to look the finding up (default: the store's saved findings).

    Returns
    -------
    pandas.DataFrame
        The label row written.

    Raises
    ------
    FindingsError
        Unknown verdict, or no (or more than one) finding with that fingerprint; nothing is
        written.
    """
    if verdict not in VERDICTS:
        raise FindingsError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    if not isinstance(fingerprint, str) or len(fingerprint) < 8:
        raise FindingsError("give the finding's fingerprint (at least 8 characters)")
    known = findings if findings is not None else stored_findings(store)
    match = known[known["fingerprint"].str.startswith(fingerprint)]
    if match["fingerprint"].nunique() != 1:
        what = "no finding" if match.empty else f"{match['fingerprint'].nunique()} findings"
        raise FindingsError(f"{what} with fingerprint {fingerprint!r}; see the findings table")
    row = match.iloc[0]
    new = pa.Table.from_pylist(
        [
            {
                "fingerprint": row["fingerprint"],
                "rule_id": row["rule_id"],
                "verdict": verdict,
                "note": note,
                "author": author or _user(),
                "labelled_at": dt.datetime.now(dt.UTC),
            }
        ],
        schema=LABELS,
    )
    store.require_cpg()
    with store.transaction("feedback") as tx:
        _ensure(tx, "labels")
        old = tx.read("labels")
        kept = old.filter(pc.invert(pc.equal(old["fingerprint"], row["fingerprint"])))
        tx.rewrite("labels", pa.concat_tables([kept.cast(LABELS), new]).sort_by("fingerprint"))
    return new.to_pandas()


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # pragma: no cover - no user name in a bare container
        return None
