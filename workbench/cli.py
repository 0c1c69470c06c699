"""The ``workbench`` command: thin, it parses arguments and calls the library."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from workbench.cpg.schema import TABLES, Subkind, describe
from workbench.errors import WorkbenchError

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
) -> None:
    """Build and link the CPGs of every Python module under SOURCE."""
    from workbench.frontends.python.source import Limits
    from workbench.project import build_project

    t = time.perf_counter()
    try:
        proj = build_project(source, exclude=exclude or (), limits=Limits(max_bytes=max_bytes))
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
