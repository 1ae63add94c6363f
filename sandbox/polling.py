"""The loop of the stand-ins that watch and react (the controllers, the re-import watcher), once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class PollingThread:
    """``tick`` every ``interval`` seconds until ``stop``; a tick that raises is logged and kept in ``errors``,
    and the loop goes on, as a controller's workqueue retries whatever failed."""

    def __init__(self, tick: Callable[[], object], *, interval: float, name: str,
                 errors: list[str] | None = None) -> None:
        self._tick, self.interval, self._name = tick, interval, name
        self.errors = [] if errors is None else errors
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._tick()
            except Exception as e:  # noqa: BLE001 - keep going, as the controllers played here do
                log.exception("%s failed", self._name)
                self.errors.append(repr(e))
            self._stop.wait(self.interval)
