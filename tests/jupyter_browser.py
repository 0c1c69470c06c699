"""A real browser on the notebooks: JupyterLab on loopback, Debian's chromium, Playwright.

A pytest plugin, loaded by the root ``conftest.py`` (so that pytest rewrites its asserts
before a test module imports its helpers). A test module marks its tests with
:data:`BROWSER_MARKS` (``browser``, ``slow`` and one xdist group, so that one server and one
browser serve every browser test of the session). Its fixtures:

- ``jupyter_lab`` (session): a :class:`JupyterLab` server on ``127.0.0.1`` (a free port, a
  random token, its own ``JUPYTER_*``, ``JUPYTERLAB_*``, ``IPYTHONDIR`` and ``TMPDIR`` folders
  and its root folder under pytest's temp dir), run by this interpreter, so that its
  ``python3`` kernel is this venv's; shut down (``POST /api/shutdown``, then the process group
  is ended) when the session ends.
- ``lab_browser`` (session): Playwright's chromium, launched from ``shutil.which("chromium")``
  (never ``playwright install``: it downloads).
- ``lab_page`` (function): a :class:`LabPage`, a fresh browser tab on the server that collects
  the page's errors (uncaught exceptions and console errors); it behaves as the Playwright
  ``Page`` (``lab_page.locator(...)``...) and is what the helpers take.

Helpers: :func:`write_notebook` / :func:`copy_notebook` (into the server's root folder, with
parameters injected), :func:`open_notebook`, :func:`run_all`, :func:`screenshot`,
:func:`assert_no_page_errors`.

The browser tests are skipped, with the reason, where Playwright cannot be imported or no
``chromium`` is on ``PATH`` (``make test`` installs Debian's when it can).

Screenshots go to ``build/browser/`` when the leak guard lets that folder be written (it is in
``leakguard.ARTIFACT_DIRS``) or is off; else next to the session's temp files (the path is
printed with the test's output).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

__all__ = [
    "BROWSER_MARKS",
    "CHROMIUM_ARGS",
    "JupyterLab",
    "LabPage",
    "assert_no_page_errors",
    "copy_notebook",
    "open_notebook",
    "run_all",
    "screenshot",
    "write_notebook",
]

ROOT = Path(__file__).resolve().parent.parent

#: The marks of every browser test: ``pytestmark = BROWSER_MARKS``.
BROWSER_MARKS = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

#: Chromium's flags: headless, no sandbox (root in a container), and nothing that calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]

#: The folder of the screenshots, relative to the repository.
SCREENSHOTS = "build/browser"
#: Set in the server's environment (inherited by its kernels and what they start): the
#: processes left once the server is down are found by it, and ended by pid.
MARKER = "WORKBENCH_JUPYTER_BROWSER"
#: Seconds JupyterLab gets to answer ``/api/status``, and to exit once asked to.
START_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0

#: The kernelspec of the notebooks written here: this venv's ipykernel (``python3``).
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


# -- the server ----------------------------------------------------------------------------


@dataclass
class JupyterLab:
    """A running JupyterLab: ``url`` (no trailing slash), ``token``, ``root_dir`` (where the
    notebooks it serves are written), ``home`` (its private folders and log)."""

    url: str
    token: str
    root_dir: Path
    home: Path
    process: subprocess.Popen
    marker: str
    log: Path

    def api(self, path: str, method: str = "GET", timeout: float = 5.0):
        """The JSON answer of the REST API at ``path`` (e.g. ``"api/status"``)."""
        req = urllib.request.Request(
            f"{self.url}/{path.lstrip('/')}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
            data=b"" if method == "POST" else None,
        )
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
        return json.loads(body) if body else None

    def log_tail(self, chars: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-chars:]
        return ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lab_command(port: int, token: str, root_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]


def _lab_env(home: Path, marker: str) -> dict[str, str]:
    dirs = {
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": home / "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "lab-workspaces",
        "IPYTHONDIR": home / "ipython",
        "TMPDIR": home / "tmp",
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    # no news, no update check: no notification over the page
    settings = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    # every cell attached and drawn, in view or not (the default, ``contentVisibility``,
    # skips the rendering of cells out of view): what a test looks at is what was drawn
    tracker = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True, exist_ok=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = {**os.environ, **{k: str(v) for k, v in dirs.items()}, MARKER: marker}
    env.pop("JUPYTER_PATH", None)  # the kernelspec and lab extensions come from this venv
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _wait_ready(lab: JupyterLab, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if lab.process.poll() is not None:
            raise RuntimeError(
                f"JupyterLab exited ({lab.process.returncode}) before answering; its log:\n"
                + lab.log_tail()
            )
        with contextlib.suppress(OSError, ValueError):
            lab.api("api/status", timeout=2.0)
            return
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"JupyterLab did not answer /api/status in {timeout:.0f} s; its log:\n"
                + lab.log_tail()
            )
        time.sleep(0.2)


def _marked_processes(marker: str) -> list[int]:
    """The processes whose environment holds ``MARKER=marker`` (the server's kernels and
    their children, also once orphaned)."""
    needle = f"{MARKER}={marker}".encode()
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            out.append(int(entry))
    return out


def _stop(lab: JupyterLab) -> None:
    """Shut the server down (it shuts its kernels down), then end what is left by pid."""
    proc = lab.process
    if proc.poll() is None:
        with contextlib.suppress(OSError, ValueError):
            lab.api("api/shutdown", method="POST")
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, None)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
                try:
                    proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
    with contextlib.suppress(ProcessLookupError):  # anything left in the server's group
        os.killpg(proc.pid, signal.SIGKILL)
    # kernels run in sessions of their own: those the server could not stop
    if Path("/proc/self/environ").exists():
        deadline = time.monotonic() + 5.0
        while (left := _marked_processes(lab.marker)) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def start_lab(base: Path, attempts: int = 3) -> JupyterLab:
    """Start JupyterLab in ``base`` (``base/root`` served, ``base/home`` its own folders) and
    wait until it answers. The caller stops it with :func:`stop_lab`."""
    root_dir, home = base / "root", base / "home"
    root_dir.mkdir(parents=True, exist_ok=True)
    marker = uuid.uuid4().hex
    env = _lab_env(home, marker)
    for attempt in range(1, attempts + 1):
        port, token = _free_port(), secrets.token_hex(24)
        log = home / f"jupyterlab-{attempt}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                _lab_command(port, token, root_dir),
                cwd=root_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: ended as one
            )
        lab = JupyterLab(f"http://127.0.0.1:{port}", token, root_dir, home, proc, marker, log)
        try:
            _wait_ready(lab, START_TIMEOUT)
            return lab
        except RuntimeError:
            _stop(lab)
            # the port was taken between its choice and the bind: try another one
            if attempt == attempts or "address already in use" not in lab.log_tail().lower():
                raise
    raise AssertionError("unreachable")


def stop_lab(lab: JupyterLab) -> None:
    _stop(lab)


# -- skips ---------------------------------------------------------------------------------


def _playwright():
    """``playwright.sync_api``, or the test is skipped with the reason."""
    try:
        from playwright import sync_api
    except ImportError as e:
        pytest.skip(f"browser tests: Playwright cannot be imported ({e}); pip install playwright")
    return sync_api


def _chromium() -> str:
    """The path of Debian's chromium, or the test is skipped with the reason."""
    path = shutil.which("chromium")
    if path is None:
        pytest.skip(
            "browser tests: no chromium on PATH (make test installs Debian's package with "
            "apt-get when it can: as root or with passwordless sudo)"
        )
    return path


def _needs_jupyterlab() -> None:
    try:
        import jupyterlab  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError as e:
        pytest.skip(f"browser tests: JupyterLab is not installed ({e}); pip install -e '.[dev]'")


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def lab_browser():
    """Playwright's chromium (Debian's binary), for the whole session."""
    sync_api = _playwright()
    executable = _chromium()
    pw = sync_api.sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    except BaseException:
        pw.stop()
        raise
    try:
        yield browser
    finally:
        with contextlib.suppress(Exception):
            browser.close()
        pw.stop()


@pytest.fixture(scope="session")
def jupyter_lab(tmp_path_factory, lab_browser):
    """A JupyterLab server for the session (see :class:`JupyterLab`). Depends on the browser
    so that no server is started where the browser tests are skipped."""
    _needs_jupyterlab()
    lab = start_lab(tmp_path_factory.mktemp("jupyterlab"))
    try:
        yield lab
    finally:
        stop_lab(lab)


@pytest.fixture(scope="session")
def screenshot_dir(request, tmp_path_factory) -> Path:
    """``build/browser`` when the leak guard allows it (or is off), else a session temp
    folder."""
    guard = request.config.pluginmanager.get_plugin("leakguard")
    if guard is None or SCREENSHOTS in getattr(guard, "ARTIFACT_DIRS", ()):
        return request.config.rootpath / SCREENSHOTS
    return tmp_path_factory.mktemp("browser-screenshots")


@dataclass
class LabPage:
    """A browser tab on a :class:`JupyterLab`: the Playwright ``Page`` (``page``; its methods
    are this object's too), the server (``lab``), the errors seen (``errors``: uncaught
    exceptions as ``"pageerror: ..."``, console errors as ``"console: ..."``) and the folder
    of the screenshots."""

    page: object
    lab: JupyterLab
    screenshots: Path
    errors: list[str] = field(default_factory=list)

    def __getattr__(self, name):
        return getattr(self.page, name)


@pytest.fixture
def lab_page(lab_browser, jupyter_lab, screenshot_dir):
    """A fresh tab (its own browser context) on the session's JupyterLab."""
    context = lab_browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    _playwright().expect.set_options(timeout=30_000)  # a busy machine (the suite, in parallel)
    page = context.new_page()
    lp = LabPage(page, jupyter_lab, screenshot_dir)
    page.on("pageerror", lambda exc: lp.errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: lp.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    page.on("crash", lambda _: lp.errors.append("crash: the page crashed"))
    try:
        yield lp
    finally:
        with contextlib.suppress(Exception):
            context.close()


# -- notebooks -----------------------------------------------------------------------------


def _parameters_source(parameters: dict) -> str:
    lines = ["# Parameters (injected by the browser test)"]
    lines += [f"{name} = {value!r}" for name, value in parameters.items()]
    return "\n".join(lines) + "\n"


def write_notebook(lab: JupyterLab, name: str, cells: list[str]) -> str:
    """Write a notebook of the code cells ``cells`` (their sources) to the server's root
    folder as ``name`` (``python3`` kernel); its path for :func:`open_notebook`."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    path = lab.root_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return name


def copy_notebook(
    lab: JupyterLab, source: str | os.PathLike, name: str | None = None, **parameters
) -> str:
    """Copy a notebook (e.g. ``ROOT / "notebooks/explore.ipynb"``) to the server's root folder
    as ``name`` (default: its own name), outputs cleared and ``parameters`` injected as
    papermill does: a cell tagged ``injected-parameters`` after the one tagged
    ``parameters`` (first when there is none); its path for :func:`open_notebook`."""
    import nbformat

    nb = nbformat.read(Path(source), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    if parameters:
        injected = nbformat.v4.new_code_cell(_parameters_source(parameters))
        injected.metadata["tags"] = ["injected-parameters"]
        at = next(
            (
                i + 1
                for i, c in enumerate(nb.cells)
                if "parameters" in c.get("metadata", {}).get("tags", [])
            ),
            0,
        )
        nb.cells.insert(at, injected)
    name = name or Path(source).name
    path = lab.root_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return name


# -- the page ------------------------------------------------------------------------------

#: The notebook panel open on ``path`` and its kernel, in the page.
_PANEL = """(path) => {
  const app = window.jupyterapp;
  const w = app && app.shell.currentWidget;
  if (!w || !w.context || w.context.path !== path || !w.sessionContext) return null;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  return kernel ? kernel.status : null;
}"""

#: Where the notebook on ``path`` stands: kernel status, code cells (execution count, errors),
#: the cells shown as running or queued (``[*]``) and the end of :func:`run_all`'s command.
_STATE = """(path) => {
  const w = window.jupyterapp.shell.currentWidget;
  if (!w || !w.context || w.context.path !== path) return {panel: false};
  const session = w.sessionContext.session;
  const kernel = session && session.kernel ? session.kernel.status : null;
  const cells = [];
  const model = w.content.model;
  for (let i = 0; i < model.cells.length; i++) {
    const c = model.cells.get(i);
    if (c.type !== 'code') continue;
    const errors = [];
    for (let j = 0; j < c.outputs.length; j++) {
      const o = c.outputs.get(j).toJSON();
      if (o.output_type === 'error') errors.push(`${o.ename}: ${o.evalue}`);
    }
    cells.push({index: i, count: c.executionCount, errors: errors});
  }
  const running = Array.from(w.node.querySelectorAll('.jp-InputArea-prompt'))
    .filter((p) => p.textContent.includes('*')).length;
  return {panel: true, kernel: kernel, cells: cells, running: running,
          finished: window.__workbenchRunAll};
}"""

#: Run every cell; ``window.__workbenchRunAll`` is set when the command's promise settles
#: (after the last cell, or the first that raised).
_RUN_ALL = """() => {
  window.__workbenchRunAll = null;
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    (ok) => { window.__workbenchRunAll = {ok: ok}; },
    (e) => { window.__workbenchRunAll = {error: String(e)}; });
}"""


def open_notebook(page: LabPage, name: str, timeout: float = 60.0) -> None:
    """Open ``name`` (relative to the server's root folder) in JupyterLab (a reset
    workspace) and wait until its kernel is idle."""
    lab = page.lab
    page.goto(f"{lab.url}/lab/tree/{name}?token={lab.token}&reset")
    page.wait_for_function(
        f"(path) => ({_PANEL})(path) === 'idle'", arg=name, timeout=timeout * 1e3
    )


def run_all(page: LabPage, timeout: float = 120.0, *, allow_errors: bool = False) -> list[dict]:
    """Run every cell of the notebook open in ``page`` (``notebook:run-all-cells``) and wait
    until each code cell has run and the kernel is idle; the code cells' ``{index, count,
    errors}``. A cell that raised fails the test (unless ``allow_errors``) with its error."""
    path = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.path")
    page.evaluate(_RUN_ALL)
    deadline = time.monotonic() + timeout
    state: dict = {}
    while time.monotonic() < deadline:
        state = page.evaluate(_STATE, path)
        if state.get("panel"):
            errors = [e for c in state["cells"] for e in c["errors"]]
            if errors and not allow_errors:
                raise AssertionError(f"a cell of {path} raised: {errors}")
            finished = state["finished"]
            if finished and "error" in finished:
                raise AssertionError(f"{path}: notebook:run-all-cells failed: {finished}")
            ran = errors or all(c["count"] is not None for c in state["cells"])
            if finished and ran and state["kernel"] == "idle" and not state["running"]:
                return state["cells"]
        page.wait_for_timeout(200)
    raise AssertionError(f"{path}: the cells did not all run in {timeout:.0f} s: {state}")


def screenshot(page: LabPage, name: str) -> Path:
    """A screenshot of the page as ``<screenshots>/<name>.png`` (``build/browser/`` when
    the leak guard allows it); its path (printed: shown with the test's output)."""
    if not re.fullmatch(r"[\w.-]+", name):
        raise ValueError(f"not a plain file name: {name!r}")
    page.screenshots.mkdir(parents=True, exist_ok=True)
    path = page.screenshots / f"{name}.png"
    page.page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path


def assert_no_page_errors(page: LabPage, ignore: tuple[str, ...] = ()) -> None:
    """No uncaught exception and no console error in the page (but those matching one of the
    regular expressions ``ignore``)."""
    left = [e for e in page.errors if not any(re.search(p, e) for p in ignore)]
    assert left == [], "errors in the page:\n" + "\n".join(left)
