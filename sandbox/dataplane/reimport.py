"""The ALB picks up a certificate re-imported into the same ACM ARN; so must nginx.

On AWS, re-importing a certificate into an existing ACM ARN changes what every listener using that ARN serves,
with no change to the listener or the Ingress. The controller stand-in calls the data plane only when it (re)builds
an ALB, so without this watcher nginx would keep serving the old certificate, and a rotation would fail its TLS
check (a new CA) or, worse, pass against the old certificate.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable

from sandbox.polling import PollingThread

log = logging.getLogger(__name__)

Bundle = tuple[str, str, str]  # certificate, private key, chain (PEM)


def _fingerprint(certificate_pem: str) -> str:
    return hashlib.sha256(certificate_pem.strip().encode()).hexdigest()


class ReimportWatcher:
    """Polls ``read(arn)`` (the bundle ACM holds now) and ``apply``-s a changed one to the data plane.

    Whoever else reloads the data plane (the controller's ``data_plane`` callback) does so under ``lock`` and then
    calls ``serving``, so the two never race or undo each other.
    """

    def __init__(self, read: Callable[[str], Bundle], apply: Callable[[Bundle], None]) -> None:
        self.read, self.apply = read, apply
        self.lock = threading.RLock()
        self.reloads = 0
        self._arn: str | None = None
        self._fingerprint: str | None = None
        self._loop = PollingThread(self.check_once, interval=0.5, name="acm-reimport-watcher")

    def serving(self, arn: str, certificate_pem: str) -> None:
        with self.lock:
            self._arn, self._fingerprint = arn, _fingerprint(certificate_pem)

    def stopped(self) -> None:
        """The listener is gone (its ALB was deleted): nothing to reload until one serves again."""
        with self.lock:
            self._arn, self._fingerprint = None, None

    def check_once(self) -> bool:
        """Reload when the certificate behind the served ARN changed; True when it did."""
        with self.lock:
            if self._arn is None:
                return False
            try:
                bundle = self.read(self._arn)
            except KeyError:  # the certificate was deleted: the listener keeps what it has
                return False
            fingerprint = _fingerprint(bundle[0])
            if fingerprint == self._fingerprint:
                return False
            self._fingerprint = fingerprint  # once per change, even when the reload fails
            try:
                self.apply(bundle)
            except Exception:  # noqa: BLE001 - keep watching; the log says why
                log.exception("the data plane refused the re-imported certificate %s", self._arn)
                return False
            self.reloads += 1
            return True

    def start(self) -> ReimportWatcher:
        self._loop.start()
        return self

    def stop(self) -> None:
        self._loop.stop()
