"""SIGHUP: the config file and the web config read again, one reload at a time, on a thread of
their own. A signal handler only asks (it sets an event): reloading inside the handler could be
re-entered by the next SIGHUP while it holds the engine's lock."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from exporter.config import Config, ConfigError, load_file
from exporter.web.webconfig import LiveWebConfig

log = logging.getLogger("exporter")


class Reloader:
    def __init__(self, config_file: str | None, apply: Callable[[Config], None], web: LiveWebConfig | None):
        """config_file: None for the demo, which has none. apply: the engine's reload."""
        self._config_file = config_file
        self._apply = apply
        self._web = web
        self._wanted = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reloader", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request(self) -> None:
        """What the SIGHUP handler calls: nothing here takes a lock."""
        self._wanted.set()

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.is_set():
            if self._wanted.wait(0.2):
                self._wanted.clear()  # SIGHUPs that arrive during a reload make one more
                self.reload()

    def reload(self) -> None:
        if self._web is not None:
            self._web.reload()
        path = self._config_file
        if not path:
            log.info("SIGHUP: the demo has no config file to reload")
            return
        try:
            new = load_file(path)
        except ConfigError as err:
            log.error("reload failed, keeping the running config: %s", "; ".join(err.problems),
                      extra={"fields": {"file": path, "problems": len(err.problems)}})
            return
        for warning in new.warnings:
            log.warning("config: %s", warning, extra={"fields": {"file": path}})
        try:
            self._apply(new)
        except Exception:  # whatever went wrong, the running config stays, as documented
            log.exception("reload of %s failed, keeping the running config", path)
            return
        log.info("reloaded %s: %d sources", path, len(new.sources),
                 extra={"fields": {"file": path, "sources": len(new.sources)}})
