"""SIGHUP's reload: a good config is applied and logged, a bad one or a failing apply keeps the
running config with one clear line, and SIGHUPs that arrive during a reload make one more."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from exporter.cli.reload import Reloader
from exporter.config import Config
from tests.support.wait import wait_for

GOOD = "sources:\n  - {name: page, type: statuspage, url: 'http://127.0.0.1:9'}\n"


def test_a_good_config_is_applied(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(GOOD)
    applied: list[Config] = []
    with caplog.at_level(logging.INFO, logger="exporter"):
        Reloader(str(path), applied.append, None).reload()
    assert [s.name for s in applied[0].sources] == ["page"]
    assert f"reloaded {path}: 1 sources" in caplog.text


def test_a_bad_config_keeps_the_running_one_and_says_why(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("sources:\n  - {name: page, type: nope, url: 'http://127.0.0.1:9'}\n")
    applied: list[Config] = []
    with caplog.at_level(logging.INFO, logger="exporter"):
        Reloader(str(path), applied.append, None).reload()
    assert applied == []
    (line,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert line.getMessage().startswith("reload failed, keeping the running config: sources[0].type:")
    assert line.exc_info is None  # one line, no traceback


def test_an_apply_that_fails_keeps_the_running_config(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(GOOD)

    def apply(config: Config) -> None:
        raise RuntimeError("a bug in reload")

    with caplog.at_level(logging.INFO, logger="exporter"):
        Reloader(str(path), apply, None).reload()
    assert f"reload of {path} failed, keeping the running config" in caplog.text
    assert "reloaded" not in caplog.text


def test_the_demo_has_nothing_to_reload(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="exporter"):
        Reloader(None, lambda config: None, None).reload()
    assert "the demo has no config file to reload" in caplog.text


def test_requests_during_a_reload_make_one_more_not_one_each(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(GOOD)
    entered, release, applied = threading.Event(), threading.Event(), []

    def apply(config: Config) -> None:
        applied.append(config)
        entered.set()
        release.wait(5)

    reloader = Reloader(str(path), apply, None)
    reloader.start()
    try:
        reloader.request()
        assert entered.wait(5)
        for _ in range(5):  # five SIGHUPs while the first reload is still applying
            reloader.request()
        release.set()
        wait_for(lambda: len(applied) == 2, 5, "the second reload")
        threading.Event().wait(0.5)  # and no third
        assert len(applied) == 2
    finally:
        reloader.stop()
