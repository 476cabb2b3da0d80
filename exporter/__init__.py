"""Prometheus exporter for fleets of LLM providers, gateways and proxies."""

from importlib.metadata import PackageNotFoundError, version

try:
    # The version is written once, in pyproject.toml; the installed metadata carries it.
    __version__ = version("llm-fleet-exporter")
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"
