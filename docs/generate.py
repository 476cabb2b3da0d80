"""Generates the reference pages from what the code declares, so they cannot drift:

- docs/metrics.md from the metric family declarations in exporter/families;
- docs/configuration.md from exporter/schema.json (every key, its type, default and meaning);
- the tables of docs/alerts.md (alerts, recording rules, bundle settings) from the default
  rendering of the bundle and bundle/settings.py; the prose around them is written by hand.

`make docs` runs it; the test suite runs it into a temporary directory and fails on any
difference from what is committed. Usage: python docs/generate.py [OUT_DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bundle.render import number  # noqa: E402
from bundle.settings import CONFIG_THRESHOLDS, KNOBS  # noqa: E402
from exporter.defaults import SCHEMA  # noqa: E402
from exporter.families import DOMAINS  # noqa: E402
from exporter.sources.registry import SOURCE_TYPES  # noqa: E402

# -- metrics -----------------------------------------------------------------------------------
METRICS_HEAD = """\
# Metrics

Every family the exporter can emit, generated from the declarations in `exporter/families/`
by `make docs` (a test fails when this page is out of date). Labels are listed in order; a
unit of "state set" means one series per state, 1 for the current one and 0 for the others.

Every family is rebuilt from the latest poll; nothing is a long-lived gauge, so a provider or
model that disappears upstream disappears from `/metrics`. Families read from a source's last
poll say *cached* in their HELP: a scrape never calls a provider. Names follow the Prometheus
conventions: base units, `_total` on counters, `_info` with the value 1, `_timestamp_seconds`
for points in time, no sample timestamps.

Three documented exceptions to those rules remain, and `promtool check metrics` flags exactly
them. The GatewayZ compatibility family keeps the names and meanings of GatewayZ's own provider
exporter (`_ms`, a gauge ending in `_total`), so existing GatewayZ dashboards keep working; each
of its series also carries `source`, so several GatewayZ backends can be watched at once, and
queries that ignore `source` keep working. `llm_probe_duration_seconds_histogram` and
`llm_probe_ttft_seconds_histogram` carry their type in their names, kept as the probes were
specified, next to the `llm_probe_duration_seconds` and `llm_probe_ttft_seconds` gauges. And
`llm_upstream_endpoint_latency_seconds` and `llm_upstream_endpoint_throughput_tokens_per_second`
are gauges with a `quantile` label: they pass on the percentiles OpenRouter computes, which no
summary of the exporter's own could reproduce.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\\\|")


def metrics_page() -> str:
    out = [METRICS_HEAD]
    for domain in DOMAINS:
        title = (domain.__doc__ or domain.__name__).strip().splitlines()[0].rstrip(".")
        out.append(f"\n## {title}\n")
        out.append(f"Declared in `{domain.__name__.replace('.', '/')}.py`.\n")
        out.append("| name | type | labels | unit | meaning |")
        out.append("|---|---|---|---|---|")
        for f in domain.FAMILIES:
            labels = ", ".join(f"`{label}`" for label in f.labels) or "\u2013"
            out.append(f"| `{f.name}` | {f.type} | {labels} | {f.unit} | {_cell(f.help)} |")
    return "\n".join(out) + "\n"


# -- configuration -----------------------------------------------------------------------------
CONFIG_HEAD = """\
# Configuration

The exporter reads one YAML file (`--config.file`), validated against
[exporter/schema.json](../exporter/schema.json) (JSON Schema 2020-12), which is also where every
default is written. This page is generated from that schema by `make docs`; a test fails when
it is out of date. [config/examples/](../config/examples/) has configs to start from, each
checked by the test suite.

- **Durations**: `30s`, `5m`, `1h`, `1m30s`, `250ms`, or plain seconds.
- **Environment**: `${VAR}` and `${VAR:-default}` expand in every string value (the default
  applies when VAR is unset or empty); `$${` writes a literal `${`. An unset variable without
  a default is an error naming the variable and the key. Keys belong in the environment or in
  files (`api_key_file`), never in the config itself.
- **Errors**: every problem is reported on its own line naming its path, for example
  `sources[2].interval: "5x" is not a duration (use 30s, 5m, 1h or seconds)`, and YAML syntax
  errors as `file:line:column: problem`; the exporter exits 2 without a traceback.
  `--check-config` validates a file and exits.
- **Limits of the file itself**: nesting deeper than 64 levels or YAML aliases that expand to
  more than 100,000 values are rejected the same way.
- **Reload**: SIGHUP reloads the file; a file that fails validation is logged and the running
  config kept. Unchanged sources keep their state and schedule.
- **Editors**: start a file with `# yaml-language-server: $schema=<path to schema.json>` and an
  editor that speaks YAML checks it as you type.

## Every key
"""

CONFIG_TAIL = """
## Examples

Capability classes:

```yaml
catalog:
  input_output_ratio: 3
  classes:
    coding: {capabilities: [tools], min_context: 64000}
    chat: {include_free: true}        # replaces the default chat class: free models may win it
```

A declarative vendor (`type: http`):

```yaml
  - name: acme
    type: http
    health:  {url: "https://api.acme.example/health", expect_status: 200}
    balance: {url: "https://api.acme.example/v1/balance", headers: {Authorization: "Bearer ${ACME_KEY}"},
              amount: data.balance, currency: USD}
    models:  {url: "https://api.acme.example/v1/models", headers: {Authorization: "Bearer ${ACME_KEY}"},
              items: data, id: id, name: name, input_price: pricing.prompt, output_price: pricing.completion,
              price_scale: 1e-6, context_length: context_length}
```

Setting both `api_key` and `api_key_file` is an error, and so is a type that needs a key
({needs_key}) with neither. `http` header values are treated as secrets too.
"""


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = {**SCHEMA["$defs"][node["$ref"].split("/")[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _type(node: dict[str, Any]) -> str:
    n = _resolve(node)
    if n.get("format") == "duration" or node.get("$ref") == "#/$defs/duration":
        return "duration"
    if "enum" in n:
        return "one of " + ", ".join(f"`{v}`" for v in n["enum"])
    if "const" in n:
        return f"`{n['const']}`"
    kind = n.get("type", "mapping" if "properties" in n or "additionalProperties" in n else "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    kind = {"object": "mapping", "array": "list", "number": "number", "integer": "integer", "string": "string",
            "boolean": "boolean"}.get(kind, kind)
    low, high = n.get("minimum", n.get("exclusiveMinimum")), n.get("maximum")
    if low is not None and high is not None:
        kind += f" {low}\u2013{high}"
    elif low is not None:
        kind += (" > " if "exclusiveMinimum" in n else " \u2265 ") + str(low)
    if kind == "list" and "items" in n:
        item = _type(n["items"])
        kind = f"list of {item}" if not item.startswith("mapping") else "list of mappings"
    if "pattern" in n:
        kind += f" `{n['pattern']}`"
    return kind


def _default(node: dict[str, Any]) -> str:
    value = node.get("default", _resolve(node).get("default"))
    if value is None:
        return "\u2013"
    if isinstance(value, dict):
        return ", ".join(f"`{k}`" for k in value) if value else "`{}`"
    if value == "":
        return '`""`'
    return f"`{json.dumps(value) if not isinstance(value, str) else value}`"


def _rows(node: dict[str, Any], path: str, required: set[str], only: str = "") -> list[str]:
    n = _resolve(node)
    rows = []
    if path:
        default = "required" if path.rsplit(".", 1)[-1].rstrip("[]") in required else _default(node)
        meaning = node.get("description") or n.get("description") or ""
        if only:
            meaning = f"{only}: {meaning}" if meaning else only
        rows.append(f"| `{path}` | {_type(node)} | {default} | {_cell(meaning)} |")
    props = n.get("properties", {})
    req = set(n.get("required", ()))
    for key, child in props.items():
        rows.extend(_rows(child, f"{path}.{key}" if path else key, req))
    for rule in n.get("allOf", ()):  # a source type's own keys
        kind = rule["if"]["properties"]["type"].get("const")
        for key, child in rule.get("then", {}).get("properties", {}).items():
            rows.extend(_rows(child, f"{path}.{key}", set(), only=f"type `{kind}`"))
    if "items" in n and isinstance(n["items"], dict) and _resolve(n["items"]).get("properties"):
        rows.extend(_item_rows(n["items"], path))
    additional = n.get("additionalProperties")
    if isinstance(additional, dict) and _resolve(additional).get("properties"):
        rows.extend(_rows(additional, f"{path}.<name>", set()))
    return rows


def _item_rows(items: dict[str, Any], path: str) -> list[str]:
    resolved = _resolve(items)
    rows = []
    req = set(resolved.get("required", ()))
    for key, child in resolved.get("properties", {}).items():
        if key == "type" and path == "sources":
            rows.append("| `sources[].type` | see [sources.md](sources.md) | required | the adapter to use |")
            continue
        rows.extend(_rows(child, f"{path}[].{key}", req))
    for rule in resolved.get("allOf", ()):
        kind = rule["if"]["properties"]["type"].get("const")
        for key, child in rule.get("then", {}).get("properties", {}).items():
            rows.extend(_rows(child, f"{path}[].{key}", set(), only=f"type `{kind}`"))
    return rows


def configuration_page() -> str:
    out = [CONFIG_HEAD]
    required = set(SCHEMA.get("required", ()))
    for key, node in SCHEMA["properties"].items():
        out.append(f"\n### `{key}`\n")
        out.append("| key | type | default | meaning |")
        out.append("|---|---|---|---|")
        out.extend(_rows(node, key, required))
    needs_key = ", ".join(f"`{name}`" for name, cls in SOURCE_TYPES.items() if cls.needs_key)
    out.append(CONFIG_TAIL.replace("{needs_key}", needs_key))
    return "\n".join(out)


# -- alerts ------------------------------------------------------------------------------------
BEGIN = "<!-- generated by docs/generate.py: {} -->"
END = "<!-- end of generated part -->"


def _rules(name: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = yaml.safe_load((ROOT / "prometheus/rules" / name).read_text())["groups"][0]["rules"]
    return rules


def _knob_value(value: Any) -> str:
    return f"`{number(value)}`" if isinstance(value, (int, float)) and not isinstance(value, bool) else f"`{value}`"


def alert_table() -> str:
    rows = ["| alert | severity | for | summary | thresholds | runbook |", "|---|---|---|---|---|---|"]
    for rule in _rules("alerts.yml"):
        name = rule["alert"]
        knobs = [k for k in KNOBS if k.key.startswith(f"alerts.{name}.") and not k.key.endswith(".for")]
        thresholds = "; ".join(f"`{k.key.rsplit('.', 1)[1]}` {_knob_value(k.default)}: {k.meaning}" for k in knobs)
        thresholds = thresholds or CONFIG_THRESHOLDS.get(name, "\u2013")
        rows.append(f"| `{name}` | {rule['labels']['severity']} | {rule['for']} | {rule['annotations']['summary']} | "
                    f"{_cell(thresholds)} | [runbook](runbook.md#{name.lower()}) |")
    return "\n".join(rows)


def recording_table() -> str:
    rows = ["| rule | expression |", "|---|---|"]
    for rule in _rules("recording.yml"):
        expr = " ".join(rule["expr"].split())
        rows.append(f"| `{rule['record']}` | `{_cell(expr)}` |")
    return "\n".join(rows)


def settings_table() -> str:
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    rows += [f"| `{k.key}` | {_knob_value(k.default)} | {_cell(k.meaning)} |" for k in KNOBS]
    return "\n".join(rows)


def splice(text: str, parts: dict[str, str]) -> str:
    """Replaces what lies between each part's markers with the part."""
    for name, body in parts.items():
        begin = BEGIN.format(name)
        start, end = text.index(begin) + len(begin), text.index(END, text.index(begin))
        text = text[:start] + "\n" + body + "\n" + text[end:]
    return text


def alerts_page(current: str) -> str:
    return splice(current, {"alerts": alert_table(), "recording": recording_table(), "settings": settings_table()})


def generate(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.md").write_text(metrics_page())
    (out / "configuration.md").write_text(configuration_page())
    (out / "alerts.md").write_text(alerts_page((ROOT / "docs" / "alerts.md").read_text()))


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs")
