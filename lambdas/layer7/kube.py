"""The Kubernetes API of an EKS cluster, reached with the function's IAM role.

Every step that talks to Kubernetes gets its client from ``connect``: describe
the cluster (it must exist and be ACTIVE), mint an EKS token, and build an
``ApiClient`` of its own. No kubeconfig is read and the kubernetes package's
global default configuration is never touched, so nothing leaks between
invocations that reuse a warm Lambda.

``Kube`` is a small facade over ``ApiClient`` that speaks plain dicts (the API's
own camelCase JSON) and turns API faults into contract terms: 401/403 ->
``KubernetesForbidden``, 429/5xx and broken connections -> ``TransientError``,
404 -> ``NotFound`` for the caller to name. It sends exactly the content type it
is given (server-side apply must go out as ``application/apply-patch+yaml``).

``ApiClient`` is this module's own: JSON over urllib3 with a bearer token and the
cluster's CA, which is all the steps ever asked of the ``kubernetes`` package. That
package's ``__init__`` imports its kubeconfig loader, OAuth, websocket and watch
machinery and ``kubernetes.client`` every generated model: about a second of each
cold start (issue 22), for code the steps never ran. No proxy is read from the
environment (Lambda sets none; the functions reach the endpoint directly).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import boto3
import urllib3
from botocore.exceptions import ClientError

from layer7 import aws, eks_token
from layer7.errors import ClusterNotFound, KubernetesForbidden, NetworkMisconfigured, ServiceNotFound, TransientError

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_eks import EKSClient
    from types_boto3_eks.type_defs import ClusterTypeDef

FIELD_MANAGER = "milvus-layer7"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
APPLY_PATCH = "application/apply-patch+yaml"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
# (connect, read): a hung API server should fail this attempt, not the Lambda's timeout.
REQUEST_TIMEOUT = (5, 30)

_FIX_ACCESS = (
    "Give the workflow's IAM role access to the cluster: an EKS access entry "
    "(the stack does this when createAccessEntry is true; authentication mode API or "
    "API_AND_CONFIG_MAP) or a mapRoles entry in the aws-auth ConfigMap"
)


class ApiException(Exception):
    """An answer outside 2xx, as the API server gave it (the shape of ``kubernetes.client``'s)."""

    def __init__(self, status: int = 0, reason: str | None = None, body: str | None = None):
        super().__init__(f"({status}) {reason or ''}")
        self.status = status
        self.reason = reason
        self.body = body


class KubeError(Exception):
    """An API answer that is neither success nor one of the contract's faults."""

    def __init__(self, message: str, *, status: int = 0, reason: str = "", body: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.body = body or {}


class NotFound(KubeError):
    """404: the caller knows which contract error (if any) that means."""


class AdmissionDenied(KubeError):
    """A validating admission webhook refused the write; the caller knows whose webhook that is.

    kube-apiserver words it ``admission webhook "<name>" denied the request: <message>``
    (apiserver/pkg/admission/plugin/webhook/errors ToStatusErr), with the webhook's
    code: 403 from controller-runtime's ``admission.Denied``, at least 400 otherwise.
    """

    @property
    def webhook_message(self) -> str:
        message = str(self.body.get("message") or "")
        return message.partition("denied the request")[2].lstrip(": ") or message


# --- EKS -------------------------------------------------------------------


def describe_cluster(eks: EKSClient, name: str) -> ClusterTypeDef:
    """DescribeCluster's ``cluster``; ``ClusterNotFound`` unless it exists and is ACTIVE."""
    try:
        cluster = eks.describe_cluster(name=name)["cluster"]
    except ClientError as exc:
        aws.raise_if_transient(exc, f"DescribeCluster {name}")
        if aws.error_code(exc) == "ResourceNotFoundException":
            raise ClusterNotFound(f"EKS cluster {name!r} does not exist in {eks.meta.region_name}") from exc
        raise
    status = cluster.get("status")
    if status != "ACTIVE":
        raise ClusterNotFound(
            f"EKS cluster {name!r} is {status}, not ACTIVE: wait until it is ACTIVE and start the execution again"
        )
    if not cluster.get("endpoint") or not (cluster.get("certificateAuthority") or {}).get("data"):
        raise ClusterNotFound(f"EKS cluster {name!r} reports no API endpoint or certificate authority yet")
    return cluster


# --- the API client --------------------------------------------------------


def write_ca_file(ca_data: str) -> str:
    """Write DescribeCluster's base64 CA bundle to a file urllib3 can load; return its path.

    The name is the bundle's hash, so a warm Lambda reuses the file and two
    clusters never share one.
    """
    try:
        pem = base64.b64decode(ca_data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KubeError("the cluster's certificateAuthority.data is not base64") from exc
    path = os.path.join(tempfile.gettempdir(), f"eks-ca-{hashlib.sha256(pem).hexdigest()[:24]}.pem")
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".pem")
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.replace(tmp, path)
    return path


@dataclass
class ApiClient:
    """One cluster's API server: its URL, a bearer token, its CA, and a connection pool of its own."""

    host: str
    token: str = field(repr=False)
    ca_file: str
    pool: urllib3.PoolManager = field(repr=False)

    def request(self, method: str, path: str, *, query: list[tuple[str, str]], headers: dict[str, str],
                body: bytes | None) -> urllib3.BaseHTTPResponse:
        url = self.host + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        return self.pool.request(method, url, body=body, headers={**headers, "Authorization": f"Bearer {self.token}"},
                                 timeout=urllib3.Timeout(connect=REQUEST_TIMEOUT[0], read=REQUEST_TIMEOUT[1]),
                                 # No retry loop hidden in urllib3: the state machine retries TransientError.
                                 retries=False, redirect=False)

    def close(self) -> None:
        self.pool.clear()


def build_api_client(endpoint: str, ca_data: str, token: str) -> ApiClient:
    """An ``ApiClient`` for one cluster: certificates checked against the cluster's own CA only."""
    ca_file = write_ca_file(ca_data)
    pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=ca_file, retries=False)
    return ApiClient(host=endpoint.rstrip("/"), token=token, ca_file=ca_file, pool=pool)


def caller_identity(session: boto3.Session | None = None) -> Callable[[], str]:
    """A lazy "who am I" for error messages; only called when the cluster said no."""

    def who() -> str:
        try:
            sts = session.client("sts") if session else aws.client("sts")
            return str(sts.get_caller_identity()["Arn"])
        except Exception:  # noqa: BLE001 - a message detail must not hide the real error
            return "the workflow's IAM role"

    return who


class Kube:
    """One cluster's API as plain JSON, with faults in contract terms."""

    def __init__(self, api_client: ApiClient, cluster_name: str, identity: Callable[[], str] | None = None):
        self.api_client = api_client
        self.cluster_name = cluster_name
        self._identity = identity or (lambda: "the workflow's IAM role")

    def get(self, path: str, what: str) -> dict[str, Any]:
        return self._call("GET", path, what)

    def list(self, path: str, what: str, **query: str) -> list[dict[str, Any]]:
        return list(self._call("GET", path, what, query=query).get("items") or [])

    def patch(self, path: str, what: str, body: dict[str, Any], *, content_type: str, **query: Any) -> dict[str, Any]:
        return self._call("PATCH", path, what, query=query, body=body, content_type=content_type)

    def delete(self, path: str, what: str, **query: Any) -> dict[str, Any]:
        """DELETE: a Status when the object went, the object itself while finalizers hold it (kube-apiserver)."""
        return self._call("DELETE", path, what, query=query)

    def close(self) -> None:
        self.api_client.close()

    def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        # JSON for every content type sent (JSON is YAML, for server-side apply).
        payload = None if body is None else json.dumps(body).encode()
        params = [(key, _query_value(value)) for key, value in (query or {}).items() if value is not None]
        try:
            response = self.api_client.request(method, path, query=params, headers=headers, body=payload)
            data = response.data
        except urllib3.exceptions.HTTPError as exc:
            raise connection_error(exc, what, self.cluster_name) from exc
        if not 200 <= response.status <= 299:
            text = data.decode("utf-8", "replace") if data else ""
            raise api_error(ApiException(status=response.status, reason=response.reason, body=text),
                            what, self.cluster_name, self._identity)
        return json.loads(data) if data else {}


def _query_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


# --- faults ----------------------------------------------------------------


def status_message(exc: ApiException) -> tuple[str, dict[str, Any]]:
    """The API server's own words from a ``Status`` body, if it sent one."""
    try:
        body = json.loads(exc.body or "")
    except (TypeError, ValueError):
        return (str(exc.body or "").strip()[:500], {})
    if not isinstance(body, dict):
        return ("", {})
    return (str(body.get("message") or "")[:1000], body)


def api_error(exc: ApiException, what: str, cluster: str, identity: Callable[[], str] | None = None) -> Exception:
    """The exception to raise for an ``ApiException`` met while doing ``what``."""
    status = int(exc.status or 0)
    message, body = status_message(exc)
    if status >= 400 and message.startswith("admission webhook ") and "denied the request" in message:
        return AdmissionDenied(f"{what}: {message}", status=status, reason=str(body.get("reason") or ""), body=body)
    if status in (401, 403):
        who = identity() if identity else "the workflow's IAM role"
        if status == 401:
            refusal = f"EKS cluster {cluster!r} did not accept the credentials of {who} (401 Unauthorized)"
            fix = f"{_FIX_ACCESS}, and check the token was minted for this cluster."
        else:
            refusal = f"EKS cluster {cluster!r} refused {who} permission to {what} (403 Forbidden)"
            fix = (
                "Apply the stack's KubernetesRbacManifest output once (kubectl apply -f): it binds the groups "
                "milvus-layer7-writers and milvus-layer7-readers to Roles with the verbs the steps use; and check "
                f"the role is in its group ({_FIX_ACCESS} with kubernetesGroups)."
            )
        detail = f" The API server said: {message}." if message else ""
        return KubernetesForbidden(f"{refusal} while trying to {what}.{detail} {fix}")
    if status == 429 or status >= 500:
        return TransientError(f"Kubernetes API of {cluster!r} answered {status} {exc.reason or ''} to {what}".strip())
    if status == 404:
        return NotFound(f"{what}: not found ({message})", status=status, reason=str(exc.reason or ""), body=body)
    return KubeError(
        f"Kubernetes API of {cluster!r} refused to {what}: {status} {exc.reason or ''}: {message}",
        status=status,
        reason=str(body.get("reason") or exc.reason or ""),
        body=body,
    )


def tls_error(detail: str, what: str, cluster: str) -> NetworkMisconfigured:
    """TLS to the endpoint DescribeCluster named failed: no retry fixes what answers in the cluster's place."""
    return NetworkMisconfigured(
        f"TLS to the Kubernetes API of {cluster!r} failed while trying to {what} ({detail or 'SSLError'}): the "
        "endpoint did not present a certificate from the cluster's own certificate authority. Something between "
        "the functions and the endpoint answers for it: a TLS-inspecting proxy or firewall, or a DNS answer for "
        "the private endpoint that points elsewhere. Let the functions reach the endpoint directly."
    )


# What OpenSSL and Python say when the connection went away under TLS (ssl.SSLEOFError, the peer's reset) rather
# than when a certificate was refused: the first is worth another try, the second is not.
_CUT_CONNECTION = ("EOF occurred in violation of protocol", "UNEXPECTED_EOF_WHILE_READING", "Connection reset",
                   "ConnectionResetError", "Connection aborted", "SSLZeroReturnError", "BrokenPipeError")


def tls_failure(detail: str, text: str, what: str, cluster: str) -> Exception:
    """A TLS connection cut before anything was refused (an API server restarting, a reset) is transient; any
    other TLS failure (a certificate that does not verify, something else answering) names the network."""
    if any(marker in text for marker in _CUT_CONNECTION):
        return TransientError(
            f"the TLS connection to the Kubernetes API of {cluster!r} was cut while trying to {what} "
            f"({detail or 'SSLError'}); the next try opens a new one")
    return tls_error(detail, what, cluster)


def connection_error(exc: urllib3.exceptions.HTTPError, what: str, cluster: str) -> Exception:
    """A broken connection is worth another try; a certificate that does not verify is not."""
    reason = getattr(exc, "reason", None)
    if isinstance(exc, urllib3.exceptions.SSLError) or isinstance(reason, urllib3.exceptions.SSLError):
        return tls_failure(type(reason or exc).__name__, str(exc), what, cluster)
    return TransientError(
        f"could not reach the Kubernetes API of {cluster!r} to {what}: {type(exc).__name__}. If this persists, "
        "the cluster security group must allow inbound 443 from the functions' security group (context "
        "clusterSecurityGroupId adds that rule), and a private endpoint needs the functions in the cluster's VPC"
    )


# --- one call for the steps ------------------------------------------------


def connect(cluster_name: str, *, eks: EKSClient | None = None, session: boto3.Session | None = None) -> Kube:
    """The ``Kube`` for ``cluster_name``, authenticated as this function's role."""
    eks = eks or aws.client("eks")
    cluster = describe_cluster(eks, cluster_name)
    token = eks_token.get_token(cluster_name, session=session, region=eks.meta.region_name)
    api_client = build_api_client(cluster["endpoint"], cluster["certificateAuthority"]["data"], token)
    return Kube(api_client, cluster_name, caller_identity(session))


def read_service(kube: Kube, namespace: str, name: str) -> dict[str, Any]:
    """The Milvus Service; ``ServiceNotFound`` names what was looked for and where."""
    try:
        return kube.get(service_path(namespace, name), f"read Service {namespace}/{name}")
    except NotFound as exc:
        raise ServiceNotFound(
            f"no Service {name!r} in namespace {namespace!r} of EKS cluster {kube.cluster_name!r}: "
            "check serviceName and namespace (kubectl get svc -n <namespace>)"
        ) from exc


# --- paths -----------------------------------------------------------------


def service_path(namespace: str, name: str) -> str:
    return f"/api/v1/namespaces/{namespace}/services/{name}"


def ingress_path(namespace: str, name: str) -> str:
    return f"/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses/{name}"


def events_path(namespace: str) -> str:
    return f"/api/v1/namespaces/{namespace}/events"
