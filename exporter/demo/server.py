"""The demo fleet: the simulated vendors served on a free loopback port (handler.py), and the
usage ledger its applications write; started by `--demo`, stopped with it."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import tempfile
import threading
from importlib import resources

from exporter.demo.handler import DemoHTTPServer
from exporter.demo.reports import LEDGER_BACKFILL_DAYS, LEDGER_SLOT, ledger_lines
from exporter.demo.simulator import VendorSimulator

log = logging.getLogger(__name__)


def config_text() -> str:
    return resources.files("exporter.demo").joinpath("config.yaml").read_text()


class DemoServer:
    def __init__(self, sim: VendorSimulator | None = None, host: str = "127.0.0.1", port: int = 0):
        self.sim: VendorSimulator = sim or VendorSimulator()
        self.key = "demo-" + secrets.token_hex(12)
        # The demo's own scratch directory (its state files), removed when it stops.
        self.directory = tempfile.mkdtemp(prefix="llm-fleet-demo-")
        self.ledger = os.path.join(self.directory, "ledger", "app.jsonl")
        self._written_to: int | None = None  # the next ledger slot to write
        self._stopping = threading.Event()
        self._httpd = DemoHTTPServer((host, port), self.sim, self.key)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.1,), name="demo-fleet",
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def env(self) -> dict[str, str]:
        return {"DEMO_URL": self.url, "DEMO_API_KEY": self.key, "DEMO_DIR": self.directory,
                "DEMO_LEDGER": self.ledger}

    def start(self) -> DemoServer:
        self._thread.start()
        self.write_ledger()
        threading.Thread(target=self._keep_writing, name="demo-ledger", daemon=True).start()
        log.info("demo fleet serving on %s; its apps write their usage to %s", self.url, self.ledger)
        return self

    def write_ledger(self) -> None:
        """Appends the events of every slot up to now, as the demo's applications would; the
        first call writes LEDGER_BACKFILL_DAYS of history."""
        now_slot = int(self.sim.now() // LEDGER_SLOT)
        first = self._written_to if self._written_to is not None else now_slot - LEDGER_BACKFILL_DAYS * 1440
        if now_slot <= first:
            return
        os.makedirs(os.path.dirname(self.ledger), exist_ok=True)
        with open(self.ledger, "a", encoding="utf-8") as out:
            out.writelines(line + "\n" for line in ledger_lines(first, now_slot))
        self._written_to = now_slot

    def _keep_writing(self) -> None:
        while not self._stopping.wait(2.0):
            self.write_ledger()

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        shutil.rmtree(self.directory, ignore_errors=True)


def start() -> DemoServer:
    return DemoServer().start()
