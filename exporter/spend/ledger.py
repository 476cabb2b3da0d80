"""Tailing the usage ledger: JSON Lines files that applications append to.

Files are followed by identity (device and inode), not by name, so each byte is read once:
- new lines are read from the remembered offset; a partial last line waits for its newline;
- rotation (the path now names another file) finishes the old file through its open handle,
  then starts the new file at 0; a rotated file that still matches a glob keeps its offset;
- truncation (a file shorter than its offset) is read again from the start;
- a line longer than MAX_LINE_BYTES is skipped to its newline and handed on as unreadable;
- only regular files are opened (a named pipe would block the reader until a writer came).
Offsets survive restarts through the state file; only without one are files read from 0.
"""

from __future__ import annotations

import glob
import logging
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

log = logging.getLogger(__name__)

READ_BUDGET = 64 << 20  # bytes read per file per pass; the rest waits for the next pass
MAX_LINE_BYTES = 1 << 20  # a usage event is a few hundred bytes; a longer line is not one


@dataclass
class Position:
    path: str
    dev: int
    ino: int
    offset: int = 0
    line: int = 0  # complete lines consumed, for "file:line" in messages
    skipping: bool = False  # inside an overlong line, whose newline is still to come

    @property
    def identity(self) -> tuple[int, int]:
        return (self.dev, self.ino)


@dataclass(frozen=True, slots=True)
class Line:
    path: str
    number: int
    text: bytes | None  # None: longer than MAX_LINE_BYTES, skipped unread


class _Tracked:
    def __init__(self, position: Position, handle: BinaryIO):
        self.position = position
        self.handle = handle


class Tailer:
    def __init__(self, patterns: Iterable[str], restored: Iterable[Position] = ()):
        self.patterns = tuple(patterns)
        self._tracked: dict[tuple[int, int], _Tracked] = {}
        self._restored = {p.path: p for p in restored}
        self._missing: set[str] = set()

    def positions(self) -> list[Position]:
        return [Position(t.position.path, *t.position.identity, t.position.offset, t.position.line,
                         t.position.skipping) for t in self._tracked.values()]

    def close(self) -> None:
        for tracked in self._tracked.values():
            tracked.handle.close()
        self._tracked.clear()

    def read(self) -> list[Line]:
        """Every complete line written since the last call, in file order."""
        current = self._scan()
        lines: list[Line] = []
        for identity, tracked in list(self._tracked.items()):
            if identity not in current:
                # Rotated away or deleted: nothing more will be written to it, so a last line
                # without a newline is complete.
                lines.extend(self._drain(tracked, final=True))
                tracked.handle.close()
                del self._tracked[identity]
                log.info("ledger %s: finished the rotated file at line %d", tracked.position.path,
                         tracked.position.line)
        for identity, path in current.items():
            found = self._tracked.get(identity) or self._open(path, identity)
            if found is None:
                continue
            tracked = found
            tracked.position.path = path  # a rename within the glob keeps the offset
            lines.extend(self._drain(tracked, final=False))
        return lines

    def _scan(self) -> dict[tuple[int, int], str]:
        found: dict[tuple[int, int], str] = {}
        for pattern in self.patterns:
            expanded = os.path.expanduser(pattern)
            paths = sorted(glob.glob(expanded)) if glob.has_magic(expanded) else [expanded]
            if not paths:
                continue
            for path in paths:
                try:
                    st = os.stat(path)
                    if not stat.S_ISREG(st.st_mode):
                        raise OSError(0, "not a regular file")
                except OSError as exc:
                    if path not in self._missing:
                        log.warning("ledger %s: cannot read (%s); trying again each interval", path, exc.strerror)
                        self._missing.add(path)
                    continue
                if path in self._missing:
                    log.info("ledger %s: readable again", path)
                    self._missing.discard(path)
                found.setdefault((st.st_dev, st.st_ino), path)
        return found

    def _open(self, path: str, identity: tuple[int, int]) -> _Tracked | None:
        try:
            # Non-blocking, and checked again once open: the path may have been swapped for a
            # pipe since it was scanned.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise OSError(0, "not a regular file")
            handle = os.fdopen(fd, "rb")  # held open across passes to finish rotated files
        except OSError as exc:
            if path not in self._missing:
                log.warning("ledger %s: cannot open (%s); trying again each interval", path, exc.strerror)
                self._missing.add(path)
            return None
        self._missing.discard(path)
        restored = self._restored.pop(path, None)
        if restored is not None and restored.identity == identity:
            position = restored
        else:
            if restored is not None:
                log.info("ledger %s: the file was replaced while the exporter was stopped; reading the new one "
                         "from the start", path)
            position = Position(path, *identity)
        tracked = _Tracked(position, handle)
        self._tracked[identity] = tracked
        return tracked

    def _drain(self, tracked: _Tracked, final: bool) -> list[Line]:
        pos = tracked.position
        size = os.fstat(tracked.handle.fileno()).st_size
        if size < pos.offset:
            log.warning("ledger %s: truncated (now %d bytes, was read to %d); reading it again from the start",
                        pos.path, size, pos.offset)
            pos.offset, pos.line, pos.skipping = 0, 0, False
        if size == pos.offset:
            return []
        tracked.handle.seek(pos.offset)
        data = tracked.handle.read(min(size - pos.offset, READ_BUDGET))
        lines: list[Line] = []
        start = 0
        if pos.skipping:  # the rest of an overlong line, already counted
            newline = data.find(b"\n")
            if newline < 0:
                pos.offset += len(data)
                return []
            start, pos.skipping = newline + 1, False
        end = max(data.rfind(b"\n") + 1, start)
        # A last line without its newline that is already too long: skip it now, and the rest
        # of it as it comes, instead of waiting for a newline that may never come.
        overlong = len(data) - end >= MAX_LINE_BYTES
        if final and not overlong and end < len(data) and len(data) < READ_BUDGET:
            end = len(data)
        chunk = data[start:end]
        pieces = chunk[:-1].split(b"\n") if chunk.endswith(b"\n") else chunk.split(b"\n")
        for raw in pieces if chunk else ():
            pos.line += 1
            if len(raw) > MAX_LINE_BYTES:
                lines.append(Line(pos.path, pos.line, None))
            elif raw.strip():
                lines.append(Line(pos.path, pos.line, raw))
        if overlong:
            pos.line += 1
            lines.append(Line(pos.path, pos.line, None))
            pos.skipping, end = True, len(data)
        pos.offset += end
        return lines
