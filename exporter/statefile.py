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
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

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
        self.last_size = 0  # bytes of the last document written

    def save(self, doc: dict[str, Any]) -> bool:
        data = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
        self.last_size = len(data)
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


T = TypeVar("T")


class StateFile:
    """One state file of a domain (the catalog memory, the probes' answers, the usage book),
    kept the same way for every one: nowhere without a state_dir (--once, tests), else read back
    forgivingly (missing: start without; corrupt: set aside, start without) and written
    atomically."""

    def __init__(self, state_dir: str | None, name: str, version: int):
        self.path = None if state_dir is None else Path(state_dir) / name
        self.version = version
        self._writer = None if self.path is None else Writer(self.path)

    def restore(self, read: Callable[[dict[str, Any]], T]) -> T | None:
        """read() of the saved document; None without one. Whatever read() raises for values
        no real state holds (CORRUPT) sets the file aside, as a truncated file is."""
        if self.path is None:
            return None
        doc = load(self.path, self.version)
        if doc is None:
            return None
        try:
            return read(doc)
        except CORRUPT as exc:
            self.discard(f"corrupt ({type(exc).__name__}: {exc})")
            return None

    def discard(self, why: str) -> None:
        if self.path is not None:
            set_aside(self.path, why)

    def save(self, doc: dict[str, Any]) -> bool:
        """Writes the document (its version added); False without a state_dir or on failure."""
        return self._writer is not None and self._writer.save({**doc, "version": self.version})


# A journal is compacted into its base once it is this large and larger than the base.
MIN_COMPACT_BYTES = 1 << 20


class Journal(StateFile):
    """A state file that costs what changed, not what exists: a base document, written whole
    and atomically as Writer does, and the changes since, appended as JSON lines to
    `<name>.journal`, each flushed and fsynced. Loading applies the journal's lines to the base
    in order. Once the journal outgrows the base it is compacted: a new base, then an empty
    journal.

    Crash safety. A line is one write: a crash in the middle leaves a torn last line, which
    loading drops (and cuts off, so later lines do not follow it) along with everything that
    line would have said, so the state read back is always one the exporter really had. Each
    base names its journal with a fresh token and each line carries it: lines left from before
    a compaction that crashed before emptying the journal are not applied twice, and neither
    are the lines of a base written by an older version that knew no journal."""

    def __init__(self, state_dir: str | None, name: str, version: int):
        super().__init__(state_dir, name, version)
        self.journal_path = None if self.path is None else self.path.with_name(self.path.name + ".journal")
        self._token = ""
        self._base_bytes = 0
        self._journal_bytes = 0
        self._failing = False

    def restore_changes(self, read: Callable[[dict[str, Any], list[dict[str, Any]]], T]) -> T | None:
        """read(base, changes): the base and its journal's changes, oldest first; None without
        a usable base. A corrupt one is set aside, and the next save writes a new base."""
        base, changes = self._load()
        if base is None:
            return None
        try:
            return read(base, changes)
        except CORRUPT as exc:
            self.discard(f"corrupt ({type(exc).__name__}: {exc})")
            return None

    def _load(self) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        if self.path is None or self.journal_path is None:
            return None, []
        base = load(self.path, self.version)
        if base is None:
            return None, []
        self._token = str(base.get("journal", ""))
        self._base_bytes = self.path.stat().st_size if self.path.exists() else 0
        changes: list[dict[str, Any]] = []
        try:
            data = self.journal_path.read_bytes()
        except FileNotFoundError:
            return base, []
        except OSError as exc:
            log.warning("cannot read state journal %s (%s); starting from its base", self.journal_path, exc)
            return base, []
        good = 0
        for line in data.splitlines(keepends=True):
            try:
                doc = json.loads(line) if line.endswith(b"\n") else None
            except (ValueError, RecursionError):
                doc = None
            if not isinstance(doc, dict):
                log.warning("state journal %s: a torn or unreadable line at byte %d; the changes from it on are "
                            "dropped", self.journal_path, good, extra={"fields": {"file": str(self.journal_path)}})
                self._cut(good)
                break
            good += len(line)
            if self._token and doc.get("journal") == self._token:
                changes.append(doc)
        self._journal_bytes = good
        return base, changes

    def _cut(self, size: int) -> None:
        assert self.journal_path is not None
        try:
            with self.journal_path.open("r+b") as out:
                out.truncate(size)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            log.warning("cannot cut state journal %s (%s)", self.journal_path, exc)

    def discard(self, why: str) -> None:
        """The base (and so its journal) is unusable: set aside; the next save writes a new one."""
        super().discard(why)
        self._token = ""

    @property
    def wants_compaction(self) -> bool:
        return not self._token or self._journal_bytes >= max(MIN_COMPACT_BYTES, self._base_bytes)

    def compact(self, doc: dict[str, Any]) -> bool:
        """Writes `doc` (the whole state) as the new base and empties the journal."""
        if self._writer is None or self.journal_path is None:
            return False
        token = os.urandom(8).hex()
        if not self.save({**doc, "journal": token}):
            return False
        self._token, self._base_bytes = token, self._writer.last_size
        try:
            _synced(self.journal_path, "wb", b"")
        except OSError as exc:  # the lines left carry the old token: never applied again
            log.warning("cannot empty state journal %s (%s)", self.journal_path, exc)
        self._journal_bytes = 0
        return True

    def append(self, changes: dict[str, Any]) -> bool:
        if self.journal_path is None:
            return False
        line = json.dumps({**changes, "journal": self._token}, separators=(",", ":"), sort_keys=True).encode() + b"\n"
        try:
            _synced(self.journal_path, "ab", line)
        except OSError as exc:
            if not self._failing:
                log.warning("cannot append to state journal %s (%s); will keep trying", self.journal_path, exc,
                            extra={"fields": {"file": str(self.journal_path)}})
            self._failing = True
            self._token = ""  # a write may have left half a line: the next save compacts instead
            return False
        self._failing = False
        self._journal_bytes += len(line)
        return True


def _synced(path: Path, mode: str, data: bytes) -> None:
    """Writes `data` (mode "wb" empties the file first) and returns once it is on disk."""
    with path.open(mode) as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
