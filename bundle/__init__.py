"""The monitoring bundle (Prometheus rules and scrape config, Alertmanager config and
templates, dashboards), rendered from one settings file: see bundle/render.py."""
