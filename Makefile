# Two commands matter: `make run` (the demo on :8001) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LISTEN ?= 0.0.0.0:8001
# Debian's packages give promtool, amtool, prometheus and alertmanager at the versions the
# configs are written for (Prometheus 2.42, Alertmanager 0.25), and the Chromium that renders
# the landing page as a person sees it, openssl for the TLS tests' certificates, and faketime
# to run the date-sensitive tests at other dates.
TOOLS  := promtool amtool prometheus prometheus-alertmanager chromium openssl faketime
PACKAGES := prometheus prometheus-alertmanager chromium openssl faketime

.PHONY: run test test-fast lint tools check bench dashboards bundle deploy docs dist clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

run: $(STAMP)
	$(BIN)/llm-fleet-exporter --demo --web.listen-address $(LISTEN)

# The unit tier in 4 workers (its tests wait on sockets, not the CPU), then the end-to-end tier
# one test at a time (its timings and its processes share the machine's two cores), listing its
# slowest tests so a CI log shows which ones run close to their timeouts.
test: $(STAMP) tools lint
	$(BIN)/python -m pytest tests/unit -n 4 $(PYTEST_ARGS)
	$(BIN)/python -m pytest tests/e2e --durations=15 $(PYTEST_ARGS)

# The unit tier alone: in-process, no Debian binaries, under a minute. `make test` runs both tiers.
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit -n 4 $(PYTEST_ARGS)

# ruff for style, mypy (strict, configured in pyproject.toml) for types.
lint: $(STAMP)
	$(BIN)/ruff check exporter tests bench dashboards bundle docs deploy
	$(BIN)/mypy

tools:
	@missing=""; for t in $(TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian packages $(PACKAGES) (missing:$$missing)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $(PACKAGES) >/dev/null || exit 1; \
	else \
	  echo "missing:$$missing"; \
	  echo "install them with: sudo apt-get install $(PACKAGES)"; \
	  echo "(Debian 12 packages; the tests need $(TOOLS))"; \
	  exit 1; \
	fi

# Speed goals live here, as ratios against a baseline measured in the same run; never in tests.
bench: $(STAMP)
	$(BIN)/python -m bench

# The dashboards' JSON is committed: regenerate it after editing a dashboards/*.dashboard.py.
dashboards: $(STAMP)
	$(BIN)/python dashboards/build.py

# The rules, prometheus.yml, the Alertmanager config and templates and the dashboards, rendered
# for your setup: `make bundle SETTINGS=my-settings.yml OUT=dir/` (docs/alerts.md lists the
# settings). With neither, it re-renders the committed files from bundle/templates (run it,
# then `make deploy`, after editing a template); the test suite fails while they differ.
bundle: $(STAMP)
	$(BIN)/python -m bundle $(if $(SETTINGS),--settings $(SETTINGS)) $(if $(OUT),--out $(OUT))

# docs/metrics.md and docs/configuration.md, generated from the metric family declarations and
# from exporter/schema.json: run after changing either. The test suite fails while they differ.
docs: $(STAMP)
	$(BIN)/python docs/generate.py

# The copies deploy/kubernetes/base carries (the PrometheusRule, the dashboards): run after editing
# prometheus/rules or regenerating dashboards. The test suite fails while they differ.
deploy: $(STAMP)
	$(BIN)/python deploy/generate.py

# A wheel and an sdist in dist/, checked as PyPI would.
dist: $(STAMP)
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

check: $(STAMP)
	$(BIN)/llm-fleet-exporter --check-config --config.file $(CONFIG)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache *.egg-info build dist
