"""The JSON endpoints read a query string strictly: an unknown or repeated parameter, a number
that is not whole or out of bounds, a choice not offered: each is a 400 naming what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from exporter.web.query import BadRequest, choice, integer, one, parse_query


def error(call: Callable[[], object]) -> dict[str, Any]:
    with pytest.raises(BadRequest) as caught:
        call()
    return caught.value.document


def test_known_parameters_are_read_and_blank_values_kept() -> None:
    query = parse_query("class=chat&limit=5&free=", ("class", "limit", "free"))
    assert query == {"class": ["chat"], "limit": ["5"], "free": [""]}
    assert one(query, "class") == "chat" and one(query, "missing") is None


def test_an_unknown_parameter_is_refused_with_the_ones_known() -> None:
    doc = error(lambda: parse_query("limt=5&class=chat", ("class", "limit")))
    assert doc == {"error": "unknown parameter 'limt'", "parameters": ["class", "limit"]}


def test_a_repeated_parameter_is_refused_not_guessed() -> None:
    query = parse_query("class=chat&class=vision", ("class",))
    assert error(lambda: one(query, "class"))["error"] == "class is given 2 times; give it once"


@pytest.mark.parametrize(("raw", "message"), [
    ("1.5", "limit must be a whole number, got '1.5'"),
    ("", "limit must be a whole number, got ''"),
    ("0", "limit must be from 1 to 500, got 0"),
    ("501", "limit must be from 1 to 500, got 501"),
])
def test_a_number_must_be_whole_and_inside_its_bounds(raw: str, message: str) -> None:
    query = {"limit": [raw]}
    assert error(lambda: integer(query, "limit", 50, 1, 500))["error"] == message


def test_a_number_left_out_takes_its_default_and_an_open_bound_says_so() -> None:
    assert integer({}, "limit", 50, 1, 500) == 50
    assert integer({"days": ["400"]}, "days", 7, 1) == 400
    assert error(lambda: integer({"days": ["-1"]}, "days", 7, 0))["error"] == "days must be at least 0, got -1"


def test_a_choice_defaults_to_the_first_offered() -> None:
    assert choice({}, "sort", ("price", "context")) == "price"
    assert choice({"sort": ["context"]}, "sort", ("price", "context")) == "context"
    assert error(lambda: choice({"sort": ["speed"]}, "sort", ("price", "context")))["error"] == \
        "sort must be one of price, context, got 'speed'"
