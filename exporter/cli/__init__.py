"""Command line: flags, exit codes and wiring.

Exit status 2 means the exporter was not started because of how it was asked to start
(a bad flag, a bad config); 1 means it started and could not serve.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

from exporter import __version__
from exporter.cli import logs, shards
from exporter.cli.reload import Reloader
from exporter.collector import Exposition
from exporter.config import Config, ConfigError, load_file, load_text
from exporter.engine import Engine
from exporter.web import webconfig
from exporter.web.app import App, Headers
from exporter.web.auth import BasicAuth
from exporter.web.server import Server, connection_limit, raise_fd_limit
from exporter.web.webconfig import LiveWebConfig, WebConfig

log = logging.getLogger("exporter")

HOW_TO_START = (
    "llm-fleet-exporter: nothing to export. Start it with a config:\n"
    "  llm-fleet-exporter --config.file config.yaml\n"
    "or try the bundled demo fleet, which needs no keys and no network:\n"
    "  llm-fleet-exporter --demo"
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="llm-fleet-exporter",
        description="Prometheus exporter for fleets of LLM providers, gateways and proxies.",
    )
    p.add_argument("--config.file", dest="config_file", metavar="PATH", help="YAML config file")
    p.add_argument("--web.listen-address", dest="listen_address", metavar="ADDR",
                   help="host:port to serve on (default: the config's listen_address, or 0.0.0.0:8001)")
    p.add_argument("--web.config.file", dest="web_config_file", metavar="PATH",
                   help="TLS and basic auth for this endpoint, in the Prometheus exporter-toolkit's format")
    p.add_argument("--web.disable-exporter-metrics", dest="disable_exporter_metrics", action="store_true",
                   help="leave the exporter's own process_* and python_* metrics out of /metrics")
    p.add_argument("--log.level", dest="log_level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--log.format", dest="log_format", default="logfmt", choices=logs.FORMATS,
                   help="logfmt (default) or json lines, each with time, level, logger, msg and the event's fields")
    p.add_argument("--check-config", action="store_true", help="validate the config and exit")
    p.add_argument("--once", action="store_true", help="poll every source once, print the exposition, exit")
    p.add_argument("--demo", action="store_true", help="export the bundled demo fleet (no keys, no network)")
    shards.add_flags(p)
    p.add_argument("--version", action="version", version=f"llm-fleet-exporter {__version__}")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logs.setup(args.log_level, args.log_format)

    if args.demo and args.config_file:
        print("llm-fleet-exporter: --demo runs alone; drop --config.file or --demo", file=sys.stderr)
        return 2
    if not args.demo and not args.config_file:
        print(HOW_TO_START, file=sys.stderr)
        return 2
    try:
        args.sharding = shards.from_args(args)
    except shards.ShardError as err:
        print(f"llm-fleet-exporter: {err}", file=sys.stderr)
        return 2

    args.web = WebConfig()
    fleet = None
    try:
        # The web config is read first: a bad one must stop the start before anything runs.
        if args.web_config_file:
            args.web = webconfig.load(args.web_config_file)
        if args.demo:
            from exporter.demo import server as demo_server

            fleet = demo_server.start()
            config = load_text(demo_server.config_text(), origin="<demo config>", env=fleet.env())
        else:
            config = load_file(args.config_file)
    except ConfigError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        if fleet is not None:
            fleet.stop()
        return 2

    for warning in config.warnings:
        if args.check_config:
            print(f"warning: {warning}", file=sys.stderr)
        else:
            log.warning("config: %s", warning, extra={"fields": {"file": config.path}})
    try:
        if args.check_config:
            print(f"OK: {len(config.sources)} sources" + (f", {len(config.warnings)} warning(s)" if config.warnings
                                                          else ""))
            if args.shard_count is not None:
                print("\n".join(shards.ownership(config, args.sharding.count)))
            return 0
        if args.once:
            owned, shard = shards.select(config, args.sharding)
            engine = Engine(owned, shard=shard)
            engine.run_once()
            sys.stdout.buffer.write(Exposition(engine.view).render())
            sys.stdout.flush()
            engine.stop()
            return 0
        return serve(args, config)
    finally:
        if fleet is not None:
            fleet.stop()


def serve(args: argparse.Namespace, config: Config) -> int:
    address = args.listen_address or config.listen_address
    web: WebConfig = args.web
    fds = raise_fd_limit()
    sharding: shards.Sharding = args.sharding
    owned, shard = shards.select(config, sharding)
    engine = Engine(owned, persist=True, shard=shard)
    app: Any = App(engine, Exposition(engine.view, self_metrics=not args.disable_exporter_metrics))
    # With a web config file, what it says is read again as it changes (users, headers, the
    # certificates) and applies to the next request or connection.
    live = LiveWebConfig(args.web_config_file, web) if args.web_config_file else None
    if live is not None:
        # Each request looks at the file (at most once a second), with TLS or without: a user
        # removed from it is refused at the next request, not at the next SIGHUP.
        app = Headers(BasicAuth(app, lambda: live.fresh().users), lambda: live.current.headers)
        tls: Any = live.tls if web.tls else None
    else:
        app, tls = Headers(app), None
    try:
        server = Server(app, address, tls=tls, max_connections=connection_limit(fds))
    except (OSError, ValueError) as exc:
        log.error("cannot listen on %s: %s", address, exc)
        engine.stop()
        return 1
    # Stopping is a plain flag the main thread polls: a handler runs on the main thread, and
    # setting an Event that thread is waiting on could try to take a lock that thread holds.
    stopping: list[bool] = []
    reloader = Reloader(args.config_file, lambda new: engine.reload(*shards.select(new, sharding)), live)
    # The handlers only set flags: nothing that takes a lock runs inside a signal handler.
    signal.signal(signal.SIGHUP, lambda *_: reloader.request())
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    reloader.start()

    server.start()
    engine.start()
    log.info("llm-fleet-exporter %s serving on %s%s with %d sources%s", __version__, address,
             " (TLS)" if web.tls else "", len(owned.sources),
             f" (shard {shard.index} of {shard.count}: {len(owned.sources)} of the config's {shard.configured})"
             if shard.count > 1 else "",
             extra={"fields": {"version": __version__, "address": address, "tls": web.tls is not None,
                               "sources": len(owned.sources), "shard": shard.index, "shards": shard.count}})
    while not stopping:
        time.sleep(0.1)
    log.info("shutting down")
    reloader.stop()
    engine.stop()
    server.stop()
    return 0
