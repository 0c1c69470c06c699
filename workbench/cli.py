"""The ``workbench`` command: thin, it parses arguments and calls the library."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from workbench.cpg.schema import TABLES, Subkind, describe
from workbench.errors import MissingDependencyError, WorkbenchError

FollowOpt = Annotated[
    bool,
    typer.Option(
        "--follow-symlinks", help="Follow symbolic links leaving the source tree, and to folders."
    ),
]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="CPG Workbench: build Code Property Graphs of Python code as Arrow/Parquet tables.",
)


@app.command()
def build(
    source: Annotated[Path, typer.Argument(help="Source root to build (a directory).")],
    out: Annotated[
        Path | None, typer.Option(help="Write the tables as Parquet files into this directory.")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Glob of relative paths to leave out (repeatable).")
    ] = None,
    max_bytes: Annotated[int, typer.Option(help="Skip larger modules.")] = 8_000_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    follow_symlinks: FollowOpt = False,
) -> None:
    """Build and link the CPGs of every Python module under SOURCE."""
    from workbench.frontends.python.source import Limits
    from workbench.pipeline import build_project

    t = time.perf_counter()
    try:
        proj = build_project(
            source,
            exclude=exclude or (),
            limits=Limits(max_bytes=max_bytes),
            follow_symlinks=follow_symlinks,
        )
    except WorkbenchError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    seconds = time.perf_counter() - t
    cpg = proj.cpg
    statuses = proj.modules["parse_status"].to_pylist()
    summary = {
        "source": str(source),
        "modules": len(statuses),
        "ok": statuses.count("ok"),
        "failed": statuses.count("failed"),
        "skipped": statuses.count("skipped"),
        "methods": cpg.methods.num_rows,
        "nodes": cpg.nodes.num_rows,
        "edges": cpg.edges.num_rows,
        "paths_skipped": len(proj.skipped),
        "seconds": round(seconds, 3),
    }
    if out is not None:
        summary["out"] = str(_write(proj, cpg, out, summary))
    if as_json:
        typer.echo(json.dumps(summary))
        return
    for k, v in summary.items():
        typer.echo(f"{k:>8}  {v}")
    fails = proj.failures
    if len(fails):
        typer.echo("\nmodules that did not build:")
        for r in fails.itertuples():
            where = f":{r.error_line}" if r.error_line == r.error_line else ""
            typer.echo(f"  {r.path}{where}  {r.error_type}: {r.error_message}")
    _echo_skipped(proj.skipped)
    methods = cpg.to_pandas().methods
    top = (
        methods[methods.subkind == Subkind.FUNCTION]
        .sort_values(["cyclomatic", "full_name"], ascending=[False, True])
        .head(5)
    )
    if len(top):
        typer.echo("\nmost complex functions (cyclomatic, mccabe, nesting):")
        for r in top.itertuples():
            typer.echo(f"  {r.cyclomatic:>3} {r.mccabe:>3} {r.nesting:>2}  {r.full_name}")


def _echo_skipped(skipped) -> None:
    if skipped:
        typer.echo("\npaths skipped:")
        for s in skipped:
            typer.echo(f"  {s.path}  {s.reason}")


def _write(proj, cpg, out: Path, summary: dict) -> Path:
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    tables = {"modules": proj.modules, **cpg.to_arrow()}
    for name, table in tables.items():
        pq.write_table(
            table,
            out / f"{name}.parquet",
            compression="zstd",
            row_group_size=65536,
            write_page_checksum=True,
        )
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return out


StoreOpt = Annotated[Path, typer.Option("--store", help="The store directory.")]


def _open(path: Path, create: bool = False):
    from workbench.store import Store, open_store

    try:
        if create and (not path.exists() or not any(path.iterdir())):
            return Store.create(path)
        return open_store(path)
    except WorkbenchError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None


def _fail(e: WorkbenchError) -> None:
    typer.echo(f"error: {e}", err=True)
    raise typer.Exit(2) from None


@app.command()
def ingest(
    source: Annotated[Path, typer.Argument(help="Source root to ingest.")],
    store: StoreOpt,
    exclude: Annotated[list[str] | None, typer.Option(help="Glob of paths to leave out.")] = None,
    workers: Annotated[int, typer.Option(help="Parse in this many processes.")] = 1,
    follow_symlinks: FollowOpt = False,
) -> None:
    """Parse every module into the AST repository (creates the store if needed)."""
    from workbench.pipeline.discover import check_source_root

    try:
        check_source_root(source)  # before a store is created for nothing
    except WorkbenchError as e:
        _fail(e)
    st = _open(store, create=True)
    try:
        r = st.ingest(
            source, exclude=exclude or (), workers=workers, follow_symlinks=follow_symlinks
        )
    except WorkbenchError as e:
        _fail(e)
    typer.echo(
        f"store version {r.version}: {len(r.added)} added, {len(r.changed)} changed, "
        f"{len(r.removed)} removed, {r.unchanged} unchanged, {len(r.failed)} failed to parse"
    )
    _echo_skipped(r.skipped)


@app.command()
def generate(
    store: StoreOpt,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: all cores).")
    ] = None,
    executor: Annotated[
        str, typer.Option(help="process, or dask (a local Dask cluster).")
    ] = "process",
    source: Annotated[Path | None, typer.Option(help="Source root (default: last ingest).")] = None,
    retry_failed: Annotated[bool, typer.Option(help="Build failed modules again.")] = False,
    timeout: Annotated[float | None, typer.Option(help="Seconds one module may take.")] = None,
    memory_budget_mb: Annotated[int | None, typer.Option(help="Memory per module build.")] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar (CI).")] = False,
) -> None:
    """Build the CPGs of pending modules (most-read first, in parallel, resumable)."""
    from workbench.pipeline import generate as run

    st = _open(store)
    kw = dict(
        source=source,
        workers=workers,
        retry_failed=retry_failed,
        timeout=timeout,
        memory_budget_mb=memory_budget_mb,
        quiet=quiet,
    )
    try:
        if executor == "dask":
            from distributed import Client, LocalCluster

            with (
                LocalCluster(
                    n_workers=workers or None, threads_per_worker=1, dashboard_address=None
                ) as cluster,
                Client(cluster) as client,
            ):
                report = run(st, executor=client.get_executor(), **kw)
        elif executor == "process":
            report = run(st, **kw)
        else:
            typer.echo(f"error: unknown executor {executor!r} (process, dask)", err=True)
            raise typer.Exit(2)
    except WorkbenchError as e:
        _fail(e)
    except ImportError:
        _fail(MissingDependencyError("dask.distributed", "dask"))
    typer.echo(
        f"{report.planned} planned: {report.ok} ok, {report.failed} failed, "
        f"{report.skipped} skipped in {report.seconds:.1f} s ({report.commits} commits)"
    )
    for f in report.failures:
        typer.echo(f"  {f['status']:<8} {f['path']}  {f['error_type']}: {f['error_message']}")


@app.command()
def migrate(
    store: StoreOpt,
    plan_only: Annotated[
        bool, typer.Option("--plan", help="Show the plan, change nothing.")
    ] = False,
) -> None:
    """Switch CPG support on: add the CPG fields and tables (schema v1 -> v2), verified."""
    from workbench.store import migrations

    st = _open(store)
    try:
        if plan_only:
            df = migrations.plan(st)
            typer.echo(df.to_string(index=False) if len(df) else "nothing to do")
            return
        report = migrations.migrate(st)
    except WorkbenchError as e:
        _fail(e)
    typer.echo(report.to_string(index=False))
    typer.echo(f"{st}: legacy columns verified equal")


@app.command()
def rollback(store: StoreOpt) -> None:
    """Remove CPG support: CPG tables and fields go, every legacy row stays (v2 -> v1)."""
    from workbench.store import migrations

    st = _open(store)
    try:
        report = migrations.rollback(st)
    except WorkbenchError as e:
        _fail(e)
    typer.echo(report.to_string(index=False))
    typer.echo(f"{st}: legacy columns verified equal")


@app.command()
def history(store: StoreOpt) -> None:
    """The store's versions: operation, time, schema version, CPG flag."""
    typer.echo(_open(store).history().to_string(index=False))


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL over the store's tables (DuckDB).")],
    store: StoreOpt,
) -> None:
    """Run a SQL query over the store and print the result."""
    try:
        with _open(store) as st:  # closing persists the read counts
            typer.echo(st.sql(query).to_string(index=False))
    except WorkbenchError as e:
        _fail(e)
    except Exception as e:  # DuckDB's own errors: show them plainly
        typer.echo(f"error: {type(e).__name__}: {e}", err=True)
        raise typer.Exit(2) from None


@app.command()
def verify(store: StoreOpt) -> None:
    """Check every data file (presence, size, SHA-256, page checksums) and the logs."""
    from workbench.store.maintenance import verify as run

    try:
        report = run(store)  # a path: a store whose log is damaged cannot be opened
    except WorkbenchError as e:
        _fail(e)
    if report.empty:
        typer.echo("ok: every data file verified")
        return
    typer.echo(report.to_string(index=False))
    raise typer.Exit(1)


@app.command()
def repair(
    store: StoreOpt,
    source: Annotated[
        Path | None, typer.Option(help="Source root (default: the last ingested one).")
    ] = None,
) -> None:
    """Repair damaged files: rebuild CPG data from source, restore legacy data."""
    from workbench.pipeline import repair as run

    try:
        report = run(store, source)
    except WorkbenchError as e:
        _fail(e)
    typer.echo("nothing to repair" if report.empty else report.to_string(index=False))


@app.command()
def compact(store: StoreOpt) -> None:
    """Rewrite every table as few files sorted by key (keeps lookups fast)."""
    from workbench.store.maintenance import compact as run

    for name, (before, after) in run(_open(store)).items():
        typer.echo(f"{name}: {before} files -> {after}")


@app.command()
def vacuum(
    store: StoreOpt,
    retention_hours: Annotated[int, typer.Option(help="Keep files newer versions need.")] = 168,
) -> None:
    """Delete files no version within the retention period needs (waits for running writes)."""
    from workbench.store.maintenance import vacuum as run

    typer.echo(f"removed {run(_open(store), retention_hours)} files")


@app.command()
def schema(
    table: Annotated[
        str | None, typer.Argument(help="A table name; all tables if omitted.")
    ] = None,
) -> None:
    """Show the declared columns of the tables (name, type, doc)."""
    names = [table] if table else list(TABLES)
    for name in names:
        try:
            df = describe(name)
        except WorkbenchError as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"{name}:")
        for r in df.itertuples():
            typer.echo(f"  {r.column:<16} {r.type:<22} {r.doc}")


@app.command()
def version() -> None:
    """Print the version, generator and schema version."""
    from workbench import GENERATOR, SCHEMA_VERSION, __version__

    typer.echo(f"cpg-workbench {__version__} ({GENERATOR}, schema v{SCHEMA_VERSION})")


def main() -> None:  # console script entry point
    app()


if __name__ == "__main__":
    main()
