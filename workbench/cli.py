"""The ``workbench`` command: thin, it parses arguments and calls the library."""

from __future__ import annotations

import json
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperCommand, TyperGroup

from workbench.cpg.schema import SCHEMA_VERSION, TABLES, Subkind, describe
from workbench.errors import MissingDependencyError, WorkbenchError
from workbench.store.objects import StoreRoot


class _PlainFlags:
    """Help shows flags (``--quiet``, ``--help``) bare, not as options taking a ``<bool>``."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for p in params:
            if getattr(p, "is_flag", False) and p.metavar is None:
                p.metavar = ""
        return params


class _Group(_PlainFlags, TyperGroup):
    pass


class _Command(_PlainFlags, TyperCommand):
    pass


FollowOpt = Annotated[
    bool,
    typer.Option(
        "--follow-symlinks", help="Follow symbolic links leaving the source tree, and to folders."
    ),
]

app = typer.Typer(
    cls=_Group,
    add_completion=False,
    no_args_is_help=True,
    help="CPG Workbench: build Code Property Graphs of Python code as Arrow/Parquet tables.",
)


def command(*args, **kwargs):
    """``app.command`` with bare flags in the help."""
    return app.command(*args, cls=_Command, **kwargs)


def _version_line() -> str:
    from workbench import GENERATOR, __version__

    return f"cpg-workbench {__version__} ({GENERATOR}, schema v{SCHEMA_VERSION})"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(_version_line())
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the version, generator and schema version, and exit.",
        ),
    ] = False,
) -> None:
    pass


def _at_least_one(param: typer.CallbackParam, value):
    if value is not None and value < 1:
        raise typer.BadParameter(f"must be at least 1, got {value}", param=param)
    return value


def _positive(param: typer.CallbackParam, value):
    if value is not None and not value > 0:
        raise typer.BadParameter(f"must be greater than 0, got {value}", param=param)
    return value


@command()
def build(
    source: Annotated[Path, typer.Argument(help="Source root to build (a directory).")],
    out: Annotated[
        Path | None, typer.Option(help="Write the tables as Parquet files into this directory.")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Glob of relative paths to leave out (repeatable).")
    ] = None,
    max_bytes: Annotated[
        int, typer.Option(help="Skip larger modules.", callback=_at_least_one)
    ] = 8_000_000,
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


def _store_root(value: str) -> StoreRoot:
    """``--store``: a folder, or an object-store URL (never a path made of the URL)."""
    from workbench.store.objects import store_root

    try:
        return store_root(value)
    except (ValueError, WorkbenchError) as e:
        raise typer.BadParameter(str(e)) from None


# Typer cannot declare a union (Path | ObjectPath): the parser gives one of the two
StoreOpt = Annotated[
    str,
    typer.Option(
        "--store",
        parser=_store_root,
        help="The store directory, or an object-store URL (s3://bucket/prefix; configured "
        "by AWS_* variables).",
    ),
]


def _open(path: StoreRoot, create: bool = False):
    from workbench.store import Store, open_store

    try:
        if create and (not path.exists() or not any(path.iterdir())):
            return Store.create(path)
        return open_store(path)
    except OSError as e:  # object storage unreachable, no such bucket
        typer.echo(f"error: {path}: {e}", err=True)
        raise typer.Exit(2) from None
    except WorkbenchError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None


def _fail(e: WorkbenchError) -> None:
    typer.echo(f"error: {e}", err=True)
    raise typer.Exit(2) from None


@command()
def ingest(
    source: Annotated[Path, typer.Argument(help="Source root to ingest.")],
    store: StoreOpt,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Glob of paths to leave out (repeatable).")
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Parse in this many processes.", callback=_at_least_one)
    ] = 1,
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


@contextmanager
def _dask_executor(address: str | None, workers: int | None):
    """A ``concurrent.futures`` executor on the Dask cluster at ``address`` (or on a local
    cluster of ``workers`` processes), and how many tasks to keep in flight: the cluster's
    worker threads."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        _fail(MissingDependencyError("dask.distributed", "dask"))
    with ExitStack() as stack:
        if address:
            try:
                # waits dask's `distributed.comm.timeouts.connect` (30 s unless configured,
                # e.g. DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s)
                client = stack.enter_context(Client(address))
            except (OSError, TimeoutError) as e:
                raise WorkbenchError(f"cannot reach the Dask scheduler at {address}: {e}") from None
            except ValueError as e:  # a bad port, an unknown protocol
                raise WorkbenchError(
                    f"not a Dask scheduler address: {address!r} ({e}); e.g. tcp://host:8786"
                ) from None
        else:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers or None,
                    threads_per_worker=1,
                    dashboard_address=None,
                    # no dashboard, and the scheduler's HTTP routes on a free port rather than
                    # 8787, which another cluster on this machine may hold
                    scheduler_kwargs={"dashboard_address": ":0"},
                )
            )
            client = stack.enter_context(Client(cluster))
        threads = sum(client.nthreads().values()) or 1
        yield client.get_executor(), workers or threads


@command()
def generate(
    ctx: typer.Context,
    store: StoreOpt,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes.", show_default="all cores", callback=_at_least_one),
    ] = None,
    executor: Annotated[
        str | None,
        typer.Option(
            help="process, or dask (the cluster at --scheduler, else a local Dask cluster).",
            show_default="dask with a scheduler address, else process",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            envvar="DASK_SCHEDULER_ADDRESS",
            help="Address of a Dask scheduler (tcp://host:8786) whose workers build the "
            "modules; they need to see the store only. Implies --executor dask.",
            show_default="a local cluster",
        ),
    ] = None,
    source: Annotated[
        Path | None, typer.Option(help="Source root.", show_default="the last ingested one")
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Build failed modules again.")
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds one module may take.", show_default="no limit", callback=_positive
        ),
    ] = None,
    memory_budget_mb: Annotated[
        int | None,
        typer.Option(
            help="Memory (MB) one module's build may use.",
            show_default="no limit",
            callback=_at_least_one,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar (CI).")] = False,
    call_graph: Annotated[
        bool,
        typer.Option(
            "--call-graph", help="Then solve the value-flow call graph and store its CALL edges."
        ),
    ] = False,
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
        call_graph=call_graph,
    )
    if executor not in (None, "process", "dask"):
        typer.echo(f"error: unknown executor {executor!r} (process, dask)", err=True)
        raise typer.Exit(2)
    if executor == "process" and scheduler:
        # (typer may vendor its own click: the source is compared by name)
        if getattr(ctx.get_parameter_source("scheduler"), "name", None) == "COMMANDLINE":
            typer.echo(
                "error: --scheduler runs on a Dask cluster: not with --executor process", err=True
            )
            raise typer.Exit(2)
        scheduler = None  # DASK_SCHEDULER_ADDRESS does not override --executor process
    try:
        if executor == "dask" or scheduler:
            with _dask_executor(scheduler, workers) as (pool, n):
                report = run(st, executor=pool, **{**kw, "workers": n})
        else:
            report = run(st, **kw)
    except WorkbenchError as e:
        _fail(e)
    typer.echo(
        f"{report.planned} planned: {report.ok} ok, {report.failed} failed, "
        f"{report.skipped} skipped in {report.seconds:.1f} s ({report.commits} commits)"
    )
    if report.call_edges is not None:
        typer.echo(f"call graph: {report.call_edges} CALL edges stored")
    for f in report.failures:
        typer.echo(f"  {f['status']:<8} {f['path']}  {f['error_type']}: {f['error_message']}")


@command()
def migrate(
    store: StoreOpt,
    plan_only: Annotated[
        bool, typer.Option("--plan", help="Show the plan, change nothing.")
    ] = False,
) -> None:
    """Switch CPG support on: add the CPG fields and tables (schema v1 -> v2), verified."""
    from workbench.store import migrations

    st = _open(store)
    if st.schema_version >= SCHEMA_VERSION:
        typer.echo(f"nothing to do: store is already at schema v{st.schema_version}")
        return
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


@command()
def rollback(store: StoreOpt) -> None:
    """Remove CPG support: CPG tables and fields go, every legacy row stays (v2 -> v1)."""
    from workbench.store import migrations

    st = _open(store)
    if st.schema_version <= 1:
        typer.echo(f"nothing to do: store is already at schema v{st.schema_version}")
        return
    try:
        report = migrations.rollback(st)
    except WorkbenchError as e:
        _fail(e)
    typer.echo(report.to_string(index=False))
    typer.echo(f"{st}: legacy columns verified equal")


@command()
def history(store: StoreOpt) -> None:
    """The store's versions: operation, time, schema version, CPG flag."""
    typer.echo(_open(store).history().to_string(index=False))


@command()
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


@command()
def query(
    query: Annotated[
        str, typer.Argument(help='A query as JSON: {"from": "functions", "select": [...], ...}')
    ],
    store: StoreOpt,
    fallback: Annotated[
        bool, typer.Option("--fallback", help="Answer from the AST where a module has no CPG.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Rows and metadata as JSON.")] = False,
) -> None:
    """Run a builder query (workbench.Query as JSON) and print the rows; with --fallback,
    modules without a CPG answer from the AST-level tables (a `source` column says which)."""
    import warnings

    from workbench.analysis.query import FallbackWarning, Query

    try:
        q = Query.from_json(query)
        with _open(store) as st, warnings.catch_warnings():
            warnings.simplefilter("ignore", FallbackWarning)  # printed below, once
            result = q.execute_with_fallback(st) if fallback else q.execute(st)
    except WorkbenchError as e:
        _fail(e)
    if as_json:
        rows = json.loads(result.df.to_json(orient="records", date_format="iso"))
        typer.echo(json.dumps({"rows": rows, "meta": result.meta, "sql": result.sql}))
        return
    typer.echo(result.df.to_string(index=False))
    for w in result.warnings:
        typer.echo(f"warning: {w}", err=True)


@command()
def scan(
    source: Annotated[
        Path | None,
        typer.Argument(help="A folder or .py file to scan (built in memory); or use --store."),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option("--store", parser=_store_root, help="Scan the CPGs of this store instead."),
    ] = None,
    rules: Annotated[
        list[Path] | None,
        typer.Option(
            "--rules", help="Rule files or folders (repeatable).", show_default="built-in"
        ),
    ] = None,
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="Only these rule ids (repeatable).")
    ] = None,
    sarif: Annotated[Path | None, typer.Option("--sarif", help="Write SARIF 2.1.0 here.")] = None,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="Report only findings not in this file.")
    ] = None,
    write_baseline: Annotated[
        Path | None, typer.Option("--write-baseline", help="Write the findings as a baseline.")
    ] = None,
    save: Annotated[
        bool, typer.Option("--save", help="Keep the findings in the store (with --store).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    fail_on: Annotated[
        str | None,
        typer.Option(
            help="Exit with 1 when a finding has this severity or worse (error, warning, note)."
        ),
    ] = None,
) -> None:
    """Run pattern rules (security taint flows, risky calls, code-quality metrics) and print
    the findings; --sarif writes them for code-scanning UIs."""
    from workbench.analysis.patterns import findings as F
    from workbench.analysis.patterns import load_rules
    from workbench.analysis.patterns.feedback import save_findings
    from workbench.analysis.patterns.sarif import write_sarif
    from workbench.analysis.patterns.scan import PatternMatcher

    if (source is None) == (store is None):
        _fail(WorkbenchError("give a folder or file to scan, or --store (not both)"))
    if save and store is None:
        _fail(WorkbenchError("--save keeps findings in a store: use it with --store"))
    if fail_on not in (None, "error", "warning", "note"):
        _fail(WorkbenchError(f"--fail-on: error, warning or note, not {fail_on!r}"))
    try:
        rs = load_rules(rules or None)
        if rule:
            rs = rs.select(rule)
        known = F.read_baseline(baseline) if baseline is not None else None
        if store is not None:
            with _open(store) as st:
                matcher = PatternMatcher(st, rs)
                every = matcher.run()
                if save:
                    save_findings(st, every)
        else:
            matcher = PatternMatcher(source, rs)
            every = matcher.run()
        found = F.new_findings(every, known) if known is not None else every
        if sarif is not None:
            paths = {k: r.path for k, r in matcher.program.modules.items()}
            write_sarif(found, [r.to_dict() | {"cwe": list(r.cwe)} for r in rs], sarif, paths=paths)
        if write_baseline is not None:  # every finding, the ones of the old baseline too
            F.write_baseline(every, write_baseline)
    except WorkbenchError as e:
        _fail(e)
    if as_json:
        typer.echo(found.to_json(orient="records"))
    elif found.empty:
        typer.echo("no findings")
    else:
        cols = ["severity", "rule_id", "path", "line", "code", "fingerprint"]
        shown = found[cols].assign(fingerprint=found["fingerprint"].str[:12])
        typer.echo(shown.to_string(index=False))
        counts = found["severity"].value_counts().sort_index()
        typer.echo(f"{len(found)} findings ({', '.join(f'{n} {k}' for k, n in counts.items())})")
    if len(matcher.suppressed):
        typer.echo(f"{len(matcher.suppressed)} suppressed by comments", err=True)
    left = matcher.program.left_out
    if len(left):
        typer.echo(
            f"{len(left)} module(s) not scanned (no CPG): {_names(left['path'].tolist())}",
            err=True,
        )
    if fail_on is not None:
        worst = {
            "error": ["error"],
            "warning": ["error", "warning"],
            "note": ["error", "warning", "note"],
        }
        if found["severity"].isin(worst[fail_on]).any():
            raise typer.Exit(1)


@command()
def feedback(
    fingerprint: Annotated[str, typer.Argument(help="The finding's fingerprint (or a prefix).")],
    verdict: Annotated[str, typer.Argument(help="tp (true positive) or fp (false positive).")],
    store: StoreOpt,
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
    author: Annotated[str | None, typer.Option(help="Who.", show_default="the user")] = None,
) -> None:
    """Label a saved finding as a true or false positive (kept in the store's labels table)."""
    from workbench.analysis.patterns.feedback import record_feedback

    try:
        with _open(store) as st:
            row = record_feedback(st, fingerprint, verdict, note, author=author)
    except WorkbenchError as e:
        _fail(e)
    r = row.iloc[0]
    typer.echo(f"labelled {r['fingerprint'][:12]} ({r['rule_id']}) as {r['verdict']}")


@command(name="rules")
def list_rules(
    rules: Annotated[
        list[Path] | None,
        typer.Option(
            "--rules", help="Rule files or folders (repeatable).", show_default="built-in"
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rules as JSON.")] = False,
) -> None:
    """List pattern rules: id, version, kind, severity, CWE, message."""
    from workbench.analysis.patterns import load_rules

    try:
        frame = load_rules(rules or None).to_frame()
    except WorkbenchError as e:
        _fail(e)
    if as_json:
        typer.echo(frame.to_json(orient="records"))
        return
    typer.echo(frame.drop(columns=["origin"]).to_string(index=False))


@command()
def telemetry(
    store: StoreOpt,
    event: Annotated[
        list[str] | None, typer.Option("--event", help="Only these event kinds (repeatable).")
    ] = None,
    prometheus: Annotated[
        bool, typer.Option("--prometheus", help="Print metrics in the Prometheus text format.")
    ] = False,
    export: Annotated[
        Path | None, typer.Option("--export", help="Write the events to a .parquet or .csv file.")
    ] = None,
) -> None:
    """The store's telemetry: events (ingest, generate, builds, queries, algorithms...),
    as a summary per kind, a file (--export) or Prometheus metrics."""
    from workbench import telemetry as tel

    try:
        with _open(store) as st:
            frame = tel.frame(event or None, store=st)
            if prometheus:
                typer.echo(tel.prometheus(frame), nl=False)
                return
            if export is not None:
                typer.echo(f"wrote {len(frame)} events to {tel.export(frame, export)}")
                return
    except (WorkbenchError, ValueError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    if frame.empty:
        typer.echo("no events")
        return
    summary = frame.groupby("event").agg(
        events=("id", "size"), median_s=("seconds", "median"), total_s=("seconds", "sum")
    )
    typer.echo(summary.round(4).to_string())


def _with_paths(store: Path, report):
    """The report with module keys shown as paths (keys when the store cannot be opened, its
    modules table is damaged or no longer has the module)."""
    from workbench.store import open_store

    try:
        t = open_store(store).read_table("modules")
        paths = dict(zip(t["module"].to_pylist(), t["path"].to_pylist(), strict=True))
    except Exception:  # the modules table itself is damaged: keys it is
        paths = {}
    report = report.copy()
    report["modules"] = [
        _names(sorted((paths.get(k, k) for k in keys), key=str)) for keys in report["modules"]
    ]
    return report


def _names(names: list, shown: int = 5) -> str:
    text = ", ".join(str(n) for n in names[:shown])
    return text + (f" (+{len(names) - shown} more)" if len(names) > shown else "")


@command()
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
    typer.echo(_with_paths(store, report).to_string(index=False))
    raise typer.Exit(1)


@command()
def repair(
    store: StoreOpt,
    source: Annotated[
        Path | None, typer.Option(help="Source root.", show_default="the last ingested one")
    ] = None,
) -> None:
    """Repair damaged files: rebuild CPG data from source, restore legacy data."""
    from workbench.pipeline import repair as run

    try:
        report = run(store, source)  # a path: a store whose log is damaged is repaired too
    except WorkbenchError as e:
        _fail(e)
    typer.echo(
        "nothing to repair" if report.empty else _with_paths(store, report).to_string(index=False)
    )


@command()
def compact(store: StoreOpt) -> None:
    """Rewrite every table as few files sorted by key (keeps lookups fast)."""
    from workbench.store.maintenance import compact as run

    for name, (before, after) in run(_open(store)).items():
        typer.echo(f"{name}: {before} files -> {after}")


@command()
def vacuum(
    store: StoreOpt,
    retention_hours: Annotated[int, typer.Option(help="Keep files newer versions need.")] = 168,
) -> None:
    """Delete files no version within the retention period needs (waits for running writes)."""
    from workbench.store.maintenance import vacuum as run

    typer.echo(f"removed {run(_open(store), retention_hours)} files")


@command()
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


@command()
def status(
    store: StoreOpt,
    limit: Annotated[
        int, typer.Option(help="Pending and failed paths to list.", callback=_at_least_one)
    ] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """What the store holds: versions, schema, flags, tables, modules by status, size."""
    st = _open(store)
    try:
        info = st.status(limit=limit)
    except WorkbenchError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps(info, indent=1))
        return
    last = info["last_operation"]
    flags = ", ".join(f"{k} {'on' if v else 'off'}" for k, v in sorted(info["flags"].items()))
    latest = "the latest" if info["version"] == info["latest_version"] else "latest "
    if latest != "the latest":
        latest += str(info["latest_version"])
    lines = [
        f"store      {info['root']}",
        f"version    {info['version']} ({latest}; {info['versions']} versions in the log)",
        f"schema     v{info['schema_version']} ({flags})",
        f"last       {last['operation']} at {_when(last['timestamp'])}",
        f"size       {_size(info['size_bytes'])} on disk",
    ]
    mods = info["modules"]
    if mods.get("error"):
        lines.append(f"modules    unreadable: {mods['error']}")
    else:
        lines.append(f"modules    {mods['total']}: parse {_counts(mods['parse_status'])}")
        if info["schema_version"] >= 2:
            lines.append(f"           cpg {_counts(mods['cpg_status'])}")
        else:
            lines.append("           no CPG support yet: `workbench migrate` adds it")
    for key in ("pending", "failed"):
        part = info[key]
        if part["count"]:
            more = part["count"] - len(part["paths"])
            lines.append(f"{key:<10} {part['count']}: " + ", ".join(part["paths"]))
            if more:
                lines[-1] += f" (+{more} more)"
    lines.append("tables")
    for name, t in info["tables"].items():
        if t.get("error"):
            lines.append(f"  {name:<14} unreadable: {t['error'][:120]}")
        else:
            lines.append(
                f"  {name:<14} {t['rows']:>10,} rows {t['files']:>5} files {_size(t['bytes']):>10}"
            )
    typer.echo("\n".join(lines))


def _when(timestamp: str) -> str:
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(timestamp).strftime("%Y-%m-%d %H:%M:%S %Z")
    except ValueError:
        return timestamp


def _counts(counts: dict) -> str:
    return ", ".join(f"{v} {k}" for k, v in counts.items()) or "none"


def _size(n: float) -> str:
    unit = "B"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            break
        n /= 1024
    return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"


@command()
def version() -> None:
    """Print the version, generator and schema version (also: workbench --version)."""
    typer.echo(_version_line())


def main() -> None:  # console script entry point
    app()


if __name__ == "__main__":
    main()
