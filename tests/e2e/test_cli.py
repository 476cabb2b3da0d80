"""The command line as a real process: what a shell sees. The unit tier runs every bad-config
fixture through cli.main(argv) in-process; this keeps one of each outcome honest end to end."""

from __future__ import annotations

from pathlib import Path

from tests.support.processes import run_cli

CONFIGS = Path(__file__).parent.parent / "configs"


def test_a_bad_config_exits_2_with_one_line_per_problem() -> None:
    result = run_cli("--check-config", "--config.file", str(CONFIGS / "invalid" / "bad_duration.yaml"))
    assert result.returncode == 2
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.strip().endswith("is not a duration (use 30s, 5m, 1h or seconds)")


def test_a_good_config_exits_0() -> None:
    result = run_cli("--check-config", "--config.file", str(CONFIGS / "valid" / "full.yaml"),
                     env={"LLMFX_TEST_KEY": "x" * 8, "LLMFX_KEY_FILE": "/etc/hostname"})
    assert (result.returncode, result.stdout) == (0, "OK: 3 sources\n"), result.stderr
