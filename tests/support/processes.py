"""The real processes the tests start: the exporter on a free loopback port, the CLI, and the
Debian binaries the suite relies on. Every process a test starts, it stops."""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.wait import wait_for

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tool(name: str) -> str:
    """A real binary the suite depends on. `make test` installs them; outside CI a missing
    one skips with the install hint, in CI it fails."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} not found: sudo apt-get install prometheus prometheus-alertmanager chromium openssl faketime"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class Exporter:
    """The real exporter as a child process, on a free port; always stopped by the fixture."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, limits: tuple[int, int] | None = None):
        """limits: the child's (soft, hard) limit on open files."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"exporter-{self.port}.log"
        self._log = self.log_path.open("w")
        # Its own working directory, so the default state_dir (./state) is not the repository's.
        self.workdir = tempfile.mkdtemp(prefix="exporter-")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "exporter", *args, "--web.listen-address", f"127.0.0.1:{self.port}"],
            cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=self._log,
            # ROOT first; whatever PYTHONPATH the suite runs with stays behind it (a whole-suite
            # run under faketime passes the sitecustomize that works around libfaketime's bugs)
            env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
                 **(env or {})},
            preexec_fn=None if limits is None else lambda: resource.setrlimit(resource.RLIMIT_NOFILE, limits),
        )

    def wait_ready(self, timeout: float = 20.0) -> float:
        """Seconds until /readyz answered 200; fails at once, with the log, if the process exits."""
        start = time.monotonic()

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"exporter exited with {self.proc.returncode}:\n{self.log()}")
            return requests.get(self.url + "/readyz", timeout=1).status_code == 200

        wait_for(ready, timeout, "the exporter to be ready", every=0.1, detail=self.log)
        return time.monotonic() - start

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=5, **kwargs)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


# exporter_process(*flags, env=None): the fixture's way to start an Exporter it stops at the end
StartExporter = Callable[..., Exporter]


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exporter", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )
