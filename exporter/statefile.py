"""Small JSON state files under `state_dir`: written atomically, read forgivingly.

A state file only saves work after a restart; the exporter must run without one. So a
missing or unreadable file is logged once and ignored; a corrupt one (truncated, not JSON, not
this version) is logged and set aside as `<name>.corrupt-<UTC time>` for a person to look at,
and the exporter rebuilds it; a file that cannot be written is logged once per failure streak,
never raised.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from exporter import units

log = logging.getLogger(__name__)


def load(path: Path, version: int) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        log.info("no state file at %s yet; starting without one", path)
        return None
    except UnicodeDecodeError:
        set_aside(path, "not UTF-8 text")
        return None
    except OSError as exc:
        log.warning("cannot read state file %s (%s); ignoring it", path, exc)
        return None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        set_aside(path, f"corrupt ({exc})")
        return None
    except RecursionError:
        set_aside(path, "nested too deeply to read")
        return None
    if not isinstance(doc, dict) or doc.get("version") != version:
        set_aside(path, f"not a version {version} state file")
        return None
    return doc


def set_aside(path: Path, why: str) -> None:
    """Moves a corrupt state file out of the way, keeping it for a person to look at."""
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}")
    try:
        os.replace(path, aside)
    except OSError as exc:
        log.warning("state file %s is %s and cannot be set aside (%s); ignoring it", path, why, exc)
        return
    log.warning("state file %s is %s; set aside as %s, starting without it", path, why, aside.name,
                extra={"fields": {"file": str(path), "set_aside_as": aside.name}})


# What the readers of a state file catch: a file of the right shape with values no real state
# holds (NaN, a 400-digit number, a string for a number) is corrupt, like a truncated one.
CORRUPT = (KeyError, TypeError, ValueError, AttributeError, ArithmeticError, IndexError)


def number(value: object) -> float:
    """A finite number from a state file, within units' sane range, else ValueError."""
    result = units.number(value) if not isinstance(value, str) else None
    if result is None:
        raise ValueError(f"not a number: {str(value)[:40]!r}")
    return result


def count(value: object) -> int:
    result = number(value)
    if result < 0 or result != int(result):
        raise ValueError(f"not a count: {str(value)[:40]!r}")
    return int(result)


class Writer:
    """Writes one state file: a temp file in the same directory, fsync, then rename, so a
    crash leaves either the old file or the new one, never half of either."""

    def __init__(self, path: Path):
        self.path = path
        self._failing = False

    def save(self, doc: dict[str, Any]) -> bool:
        data = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
        tmp = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            if not self._failing:
                log.warning("cannot write state file %s (%s); will keep trying", self.path, exc,
                            extra={"fields": {"file": str(self.path)}})
            self._failing = True
            return False
        if self._failing:
            log.info("state file %s written again", self.path)
        self._failing = False
        return True
