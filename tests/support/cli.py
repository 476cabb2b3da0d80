"""The command line run in-process: exporter.cli.main(argv) with its output captured, the way
a user's shell would see it, and the process's logging and environment as they were."""

from __future__ import annotations

import contextlib
import io
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from exporter import cli


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def main(*args: str, env: Mapping[str, str] | None = None) -> Result:
    """For runs that exit before serving (--check-config, bad flags, bad configs)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level  # main() installs its own handler
    out, err = io.StringIO(), io.StringIO()
    try:
        with _environment(env or {}), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(args))
            except SystemExit as exc:  # argparse exits on a bad flag
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        root.handlers[:], root.level = handlers, level
    return Result(code, out.getvalue(), err.getvalue())
