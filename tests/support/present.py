"""present(x): x, asserted not None. Tests read optional fields they expect to be set; this
says so once, and tells the type checker too."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def present(value: T | None) -> T:
    assert value is not None, "expected a value, got None"
    return value
