"""What kube-apiserver answers when it cannot serve a call, for the fault injection of ``sandbox/faults.py``.

Each answer is the one a filter writes, as it writes it (kubernetes/kubernetes,
staging/src/k8s.io/apiserver/pkg/server/filters/):

* ``429``: ``maxinflight.go`` ``tooManyRequests`` (priority and fairness rejects alike): ``Retry-After: 1`` and
  Go's ``http.Error``, plain text, not a Status; client-go reads it as "the server has received too many
  requests and has asked us to try again later" (apimachinery ``errors.NewGenericServerResponse``).
* ``503``: ``waitgroup.go`` ``waitGroupWriteRetryAfterToResponse``, an API server shutting down (a control-plane
  upgrade): ``Retry-After: 1`` and ``apierrors.NewServiceUnavailable("apiserver is shutting down")``.
* ``504``: ``timeout.go`` ``baseTimeoutWriter.timeout``: the ``ErrStatus`` of ``apierrors.NewTimeoutError("request
  did not complete within the allotted timeout", 0)`` written by ``json.NewEncoder``, so without kind and apiVersion.
* ``500``: an etcd error passed through, rendered by ``endpoints/handlers/responsewriters/status.go``
  ``ErrorToAPIStatus`` (default branch: no reason); "etcdserver: leader changed" is what an etcd leader election
  returns (kubernetes/kubernetes issue 106491).
* ``reset``: the connection reset (TCP RST) before any answer, as a load balancer in front of the API servers
  does when the one behind it goes away.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

import aiohttp.web


def _status(code: int, message: str, reason: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": message}
    if reason:
        body["reason"] = reason
    body["code"] = code
    return body


def answer(kind: str, request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse | None:
    """The response for ``kind``; None for ``reset``, once the connection is gone."""
    # Go's http.Error: text/plain, nosniff, the message and a newline
    plain = {"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"}
    if kind == "429":
        return aiohttp.web.Response(status=429, headers={**plain, "Retry-After": "1"},
                                    body=b"Too many requests, please try again later.\n")
    if kind == "503":
        body = _status(503, "apiserver is shutting down", "ServiceUnavailable")
        return aiohttp.web.Response(status=503, body=json.dumps(body).encode() + b"\n",
                                    headers={"Content-Type": "application/json", "X-Content-Type-Options": "nosniff",
                                             "Retry-After": "1"})
    if kind == "504":
        timeout = {"metadata": {}, "status": "Failure",
                   "message": "Timeout: request did not complete within the allotted timeout", "reason": "Timeout",
                   "details": {}, "code": 504}
        # no Content-Type set: Go's sniffing calls JSON text
        return aiohttp.web.Response(status=504, body=json.dumps(timeout).encode() + b"\n",
                                    headers={"Content-Type": "text/plain; charset=utf-8"})
    if kind == "500":
        return aiohttp.web.json_response(_status(500, "etcdserver: leader changed"), status=500)
    if kind == "reset":
        reset(request)
        return None
    raise ValueError(f"no such Kubernetes API fault: {kind!r}")


def reset(request: aiohttp.web.BaseRequest) -> None:
    """Close with SO_LINGER 0: the kernel sends RST, the client reads ECONNRESET."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
