"""The exporter as the bench runs it: a real process serving /metrics, with the two
variants the bench compares against and users never need (a full render of the body for
every new view, the way scrapes worked before the fragment cache; and no polling after the
first round). Not an entry point of the package on purpose."""

from __future__ import annotations

import argparse
import faulthandler
import signal
import sys
import threading

from exporter.cli import shards
from exporter.collector import Exposition
from exporter.config import load_file
from exporter.engine import Engine
from exporter.web.app import App
from exporter.web.server import Server


def main() -> int:
    faulthandler.register(signal.SIGUSR1)  # the bench asks for stacks if a stop hangs
    p = argparse.ArgumentParser()
    p.add_argument("config")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--full-render", action="store_true")
    p.add_argument("--no-polling", action="store_true")
    shards.add_flags(p)
    args = p.parse_args()
    config, shard = shards.select(load_file(args.config), shards.from_args(args))
    engine = Engine(config, shard=shard)
    app = App(engine, Exposition(engine.view, full=args.full_render))
    server = Server(app, f"127.0.0.1:{args.port}")
    server.start()
    if args.no_polling:
        engine.run_once()
    else:
        engine.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    engine.stop()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
