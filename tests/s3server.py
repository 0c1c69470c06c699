"""An S3-compatible server on loopback for the tests and the scale-out benchmark: moto in
server mode, a process of its own on 127.0.0.1 (nothing leaves the machine)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

#: Runs moto's server (``python -m moto.server``) so that the kernel kills it when the process
#: that started it dies, even by ``kill -9`` (``prctl(PR_SET_PDEATHSIG)``, Linux): mutmut
#: SIGKILLs a test process that runs past its time limit, and its server must not outlive it.
#: Its first argument is the starter's pid: if the starter died before the request was made,
#: the server exits at once. (``workbench.pipeline.scheduler.die_with_parent`` does the same
#: for workers; importing it would cost each server 0.7 s and tie it to the code under test.)
_BOOT = """
import ctypes, os, runpy, signal, sys
starter = int(sys.argv.pop(1))
if sys.platform.startswith("linux"):
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)
if os.getppid() != starter:
    sys.exit(1)
runpy.run_module("moto.server", run_name="__main__", alter_sys=True)
"""


@contextmanager
def moto_server() -> Iterator[dict[str, str]]:
    """Run the server for the ``with`` block; yields the environment variables that point
    obstore, ``deltalake``, pyarrow and boto3 at it (the caller sets them)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-c", _BOOT, str(os.getpid()), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # importing moto takes seconds on a busy machine
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=1)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the S3 server on {endpoint} did not start") from None
                time.sleep(0.05)
        yield {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ALLOW_HTTP": "true",
        }
    finally:
        server.kill()
        server.wait()


def new_bucket(prefix: str = "wb") -> str:
    """Create an empty bucket on the server the environment points at; its name."""
    import boto3

    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name
