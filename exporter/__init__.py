"""Prometheus exporter for fleets of LLM providers, gateways and proxies."""

__version__ = "0.1.0"
