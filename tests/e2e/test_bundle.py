"""`make bundle` for a team's own setup, checked by the real promtool and amtool: the rules a
custom settings file renders are valid and select the team's job, the scrape config loads
them, the Alertmanager config and templates load and link to the team's Grafana."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.processes import ROOT, tool

SETTINGS = {"job": "llm-exporter-prod", "runbook_url": "https://wiki.acme.example/sre/llm-runbook",
            "grafana_url": "https://grafana.acme.example", "exporter_target": "llm-exporter.monitoring:8001",
            "alerts": {"LLMProviderSlow": {"seconds": 2, "for": "20m"}, "LLMProbeFailing": {"failures": 5}}}


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, cwd=cwd, timeout=120)


def test_a_custom_rendering_passes_promtool_and_amtool(tmp_path: Path) -> None:
    settings = tmp_path / "my-settings.yml"
    settings.write_text(yaml.safe_dump(SETTINGS))
    out = tmp_path / "bundle"
    result = run(sys.executable, "-m", "bundle", "--settings", str(settings), "--out", str(out))
    assert result.returncode == 0, result.stderr
    rules = [out / "prometheus/rules/alerts.yml", out / "prometheus/rules/recording.yml"]
    checked = run(tool("promtool"), "check", "rules", *map(str, rules))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # the same alerts as the default rendering: settings change thresholds and links, not which rules exist
    shipped = yaml.safe_load((ROOT / "prometheus/rules/alerts.yml").read_text())
    alerts = sum(1 for group in shipped["groups"] for rule in group["rules"] if "alert" in rule)
    assert f"SUCCESS: {alerts} rules found" in checked.stdout
    text = "".join(path.read_text() for path in rules)
    assert set(re.findall(r'job="([^"]*)"', text)) == {"llm-exporter-prod"}
    links = re.findall(r"runbook_url: (\S+)", text)
    assert len(links) == alerts and all(link.startswith("https://wiki.acme.example/sre/llm-runbook#") for link in links)
    config = run(tool("promtool"), "check", "config", str(out / "prometheus/prometheus.yml"))
    assert config.returncode == 0, config.stdout + config.stderr  # it loads both rule files
    am = run(tool("amtool"), "check-config", str(out / "alertmanager/alertmanager.yml"))
    assert am.returncode == 0, am.stdout + am.stderr
    rendered = run(tool("amtool"), "template", "render", f"--template.glob={out}/alertmanager/templates/*.tmpl",
                   '--template.text={{ template "llmfleet.grafana_url" }}')
    assert rendered.returncode == 0 and rendered.stdout.strip() == "https://grafana.acme.example", rendered
    assert len(list((out / "dashboards/json").glob("*.json"))) == len(list((ROOT / "dashboards/json").glob("*.json")))


def test_make_bundle_passes_settings_and_out(tmp_path: Path) -> None:
    """The Makefile's target is the command above (dry run: the venv is `make test`'s)."""
    def commands(*args: str) -> list[str]:
        # --no-print-directory: under `make test` this make is nested and would add
        # "Entering directory" lines.
        dry = run("make", "--no-print-directory", "-n", "bundle", *args)
        assert dry.returncode == 0, dry.stderr
        return [line.strip() for line in dry.stdout.splitlines() if " -m bundle" in line]

    assert commands("SETTINGS=my-settings.yml", f"OUT={tmp_path}/")[0].endswith(
        f"-m bundle --settings my-settings.yml --out {tmp_path}/")
    # no settings, the repository: the committed files
    assert commands()[0].endswith("-m bundle"), commands()


def test_a_rendering_that_does_not_load_is_not_reported_as_success(tmp_path: Path) -> None:
    """The renderer runs promtool and amtool on what it wrote: a template Alertmanager would
    refuse at start (as `{{end}}` in a URL made it) fails the command, naming the tool."""
    tool("promtool"), tool("amtool")
    import shutil

    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "bundle" / "templates", templates)
    tmpl = templates / "alertmanager" / "templates" / "llmfleet.tmpl"
    tmpl.write_text(tmpl.read_text().replace('{{ define "llmfleet.grafana_url" }}',
                                             '{{ define "llmfleet.grafana_url" }}{{end}}'))
    out = str(tmp_path / "out")
    script = ("import sys; from pathlib import Path; from bundle import render; "
              f"render.TEMPLATES = Path({str(templates)!r}); sys.exit(render.main(['--out', {out!r}]))")
    result = run(sys.executable, "-c", script)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the rendered bundle does not load: amtool template render" in result.stderr
    good = run(sys.executable, "-m", "bundle", "--out", str(tmp_path / "good"))
    assert good.returncode == 0 and good.stderr == "", good.stderr
