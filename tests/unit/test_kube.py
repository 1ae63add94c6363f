"""layer7.kube: the cluster must be ACTIVE, requests go out exactly as built, faults come back in contract terms."""

import base64
import json
import urllib.parse

import boto3
import pytest
import urllib3
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.eks.models import eks_backends

from layer7 import kube as k8s
from layer7.errors import ClusterNotFound, KubernetesForbidden, NetworkMisconfigured, TransientError
from layer7.kube import ApiException

CA_PEM = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
TOKEN = "k8s-aws-v1.c2VjcmV0"


def create_cluster(eks, name="milvus-eks"):
    return eks.create_cluster(
        name=name, roleArn="arn:aws:iam::123456789012:role/eks", resourcesVpcConfig={"subnetIds": ["subnet-1"]}
    )["cluster"]


@mock_aws
def test_describe_cluster_returns_an_active_cluster():
    eks = boto3.client("eks")
    create_cluster(eks)
    cluster = k8s.describe_cluster(eks, "milvus-eks")
    assert cluster["status"] == "ACTIVE" and cluster["endpoint"].startswith("https://")


@mock_aws
def test_missing_cluster_is_cluster_not_found():
    # Given no cluster of that name
    eks = boto3.client("eks")
    # Then ClusterNotFound names it
    with pytest.raises(ClusterNotFound, match="'absent'"):
        k8s.describe_cluster(eks, "absent")


@mock_aws
@pytest.mark.parametrize("status", ["CREATING", "UPDATING", "DELETING", "FAILED"])
def test_cluster_that_is_not_active_is_cluster_not_found(status):
    # Given a cluster that exists but is not ACTIVE
    eks = boto3.client("eks")
    create_cluster(eks)
    eks_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].clusters["milvus-eks"].status = status
    # Then ClusterNotFound says which state it is in
    with pytest.raises(ClusterNotFound, match=status):
        k8s.describe_cluster(eks, "milvus-eks")


class _Response:
    def __init__(self, status=200, body=b"{}", reason="OK"):
        self.status, self.data, self.reason, self.headers = status, body, reason, {"content-type": "application/json"}

    def getheaders(self):
        return self.headers


def capturing_kube(response=None):
    """A real ApiClient whose urllib3 pool records requests instead of sending them."""
    api = k8s.build_api_client("https://kube.example:6443/", base64.b64encode(CA_PEM).decode(), TOKEN)
    sent = []

    def request(method, url, **kwargs):
        sent.append({"method": method, "url": url, **kwargs})
        return response or _Response()

    api.pool.request = request
    return k8s.Kube(api, "milvus-eks", identity=lambda: "arn:aws:sts::123456789012:assumed-role/wf/fn"), sent


def test_apply_goes_out_as_apply_patch_with_field_manager_and_force():
    # Given a Kube on a real ApiClient
    kube, sent = capturing_kube(_Response(body=b'{"kind": "Ingress"}'))
    # When an Ingress is applied
    answer = kube.patch(k8s.ingress_path("milvus", "m"), "apply", {"kind": "Ingress"},
                        content_type=k8s.APPLY_PATCH, fieldManager="milvus-layer7", force=True)
    # Then the request is a server-side apply with a JSON body and the bearer token
    [request] = sent
    url = urllib.parse.urlsplit(request["url"])
    assert request["method"] == "PATCH"
    assert url.netloc == "kube.example:6443" and url.path == "/apis/networking.k8s.io/v1/namespaces/milvus/ingresses/m"
    assert urllib.parse.parse_qs(url.query) == {"fieldManager": ["milvus-layer7"], "force": ["true"]}
    assert request["headers"]["Content-Type"] == "application/apply-patch+yaml"
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request["body"]) == {"kind": "Ingress"}
    assert answer == {"kind": "Ingress"}


def test_strategic_merge_patch_goes_out_as_such():
    kube, sent = capturing_kube()
    kube.patch(k8s.service_path("milvus", "m"), "patch", {"spec": {"type": "ClusterIP"}},
               content_type=k8s.STRATEGIC_MERGE_PATCH)
    assert sent[0]["headers"]["Content-Type"] == "application/strategic-merge-patch+json"
    assert json.loads(sent[0]["body"]) == {"spec": {"type": "ClusterIP"}}


def test_a_client_trusts_the_clusters_own_ca_only_and_keeps_its_token_out_of_its_repr():
    api = k8s.build_api_client("https://kube.example", base64.b64encode(CA_PEM).decode(), TOKEN)
    with open(api.ca_file, "rb") as handle:
        assert handle.read() == CA_PEM
    assert api.pool.connection_pool_kw["ca_certs"] == api.ca_file
    assert api.pool.connection_pool_kw["cert_reqs"] == "CERT_REQUIRED"
    assert TOKEN not in repr(api)


def test_the_steps_import_no_kubernetes_package():
    # The package's __init__ costs about a second of cold start (issue 22); layer7.kube speaks REST itself
    import subprocess
    import sys

    script = "import sys; import layer7.kube; print('kubernetes' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": ":".join(sys.path), "AWS_DEFAULT_REGION": "us-east-1"})
    assert result.stdout.strip() == "False"


def status_body(code, reason, message):
    status = {"kind": "Status", "status": "Failure", "code": code, "reason": reason, "message": message}
    return json.dumps(status).encode()


@pytest.mark.parametrize(("code", "reason"), [(401, "Unauthorized"), (403, "Forbidden")])
def test_refusal_is_kubernetes_forbidden_naming_identity_and_fix(code, reason):
    # Given an API server that refuses the role
    kube, _ = capturing_kube(_Response(code, status_body(code, reason, 'services "m" is forbidden'), reason))
    # When the step reads
    with pytest.raises(KubernetesForbidden) as caught:
        kube.get(k8s.service_path("milvus", "m"), "read Service milvus/m")
    # Then the message says who was refused, doing what, and how to fix it; the token is not in it
    text = str(caught.value)
    assert "assumed-role/wf/fn" in text and "read Service milvus/m" in text and str(code) in text
    assert "access entry" in text and "aws-auth" in text
    assert TOKEN not in text


@pytest.mark.parametrize("code", [429, 500, 503])
def test_throttling_and_server_errors_are_transient(code):
    kube, _ = capturing_kube(_Response(code, b"busy", "Busy"))
    with pytest.raises(TransientError):
        kube.get("/api/v1/namespaces/milvus/services/m", "read")


def test_not_found_is_left_to_the_caller():
    kube, _ = capturing_kube(_Response(404, status_body(404, "NotFound", 'services "m" not found'), "Not Found"))
    with pytest.raises(k8s.NotFound) as caught:
        kube.get(k8s.service_path("milvus", "m"), "read")
    assert caught.value.status == 404


def test_other_refusals_keep_status_and_message():
    kube, _ = capturing_kube(
        _Response(422, status_body(422, "Invalid", "spec.ports[0].nodePort: Forbidden"), "Unprocessable")
    )
    with pytest.raises(k8s.KubeError) as caught:
        kube.patch("/x", "patch", {}, content_type=k8s.STRATEGIC_MERGE_PATCH)
    assert caught.value.status == 422 and "nodePort" in str(caught.value)
    assert not isinstance(caught.value, k8s.NotFound)


def test_broken_connection_is_transient():
    kube, _ = capturing_kube()

    def refuse(method, url, **kwargs):
        raise urllib3.exceptions.MaxRetryError(None, url, urllib3.exceptions.NewConnectionError(None, "refused"))

    kube.api_client.pool.request = refuse
    with pytest.raises(TransientError, match="could not reach"):
        kube.list(k8s.events_path("milvus"), "list events")


def test_certificate_that_does_not_verify_is_network_misconfigured_not_retried():
    kube, _ = capturing_kube()

    def bad_tls(method, url, **kwargs):
        raise urllib3.exceptions.MaxRetryError(None, url, urllib3.exceptions.SSLError("certificate verify failed"))

    kube.api_client.pool.request = bad_tls
    with pytest.raises(NetworkMisconfigured, match="certificate authority"):
        kube.get("/x", "read")


def test_a_bare_ssl_error_is_network_misconfigured():
    # Given urllib3's SSLError raised as it is (not wrapped in MaxRetryError)
    kube, _ = capturing_kube()

    def bad_tls(method, url, **kwargs):
        raise urllib3.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")

    kube.api_client.pool.request = bad_tls
    # Then the step fails with the named error, its cause saying what answers in the cluster's place
    with pytest.raises(NetworkMisconfigured) as caught:
        kube.get("/x", "read Service milvus/milvus-demo")
    assert "while trying to read Service milvus/milvus-demo (SSLError)" in str(caught.value)
    assert "TLS-inspecting proxy" in str(caught.value)


@pytest.mark.parametrize("cut", [
    "EOF occurred in violation of protocol (_ssl.c:2427)",  # ssl.SSLEOFError: the peer closed mid-handshake
    "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol",
    "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
])
@pytest.mark.parametrize("path", ["wrapped", "bare"])
def test_a_tls_connection_cut_before_the_certificate_was_checked_is_transient(cut, path):
    # Given a connection reset under TLS (an API server restarting, a load balancer in front of it): no certificate
    # was refused, so another try may well succeed; only a certificate that does not verify names the network
    kube, _ = capturing_kube()

    def cut_tls(method, url, **kwargs):
        error = urllib3.exceptions.SSLError(cut)
        if path == "wrapped":
            raise urllib3.exceptions.MaxRetryError(None, url, error)
        raise error

    kube.api_client.pool.request = cut_tls
    with pytest.raises(TransientError, match="TLS connection .* was cut"):
        kube.get("/x", "read Service milvus/milvus-demo")


def test_an_admission_webhook_denial_is_its_own_kind_of_refusal():
    body = json.dumps({"kind": "Status", "code": 403, "reason": "Forbidden", "message":
                       'admission webhook "vingress.elbv2.k8s.aws" denied the request: invalid ingress class: '
                       'ingressclasses.networking.k8s.io "alb" not found'})
    error = k8s.api_error(_api_exception(403, body), "apply Ingress milvus/milvus-demo", "c")
    assert isinstance(error, k8s.AdmissionDenied) and not isinstance(error, KubernetesForbidden)
    assert error.webhook_message == 'invalid ingress class: ingressclasses.networking.k8s.io "alb" not found'


def _api_exception(status: int, body: str) -> ApiException:
    exc = ApiException(status=status, reason="x")
    exc.body = body
    return exc


def test_api_exception_mapping_without_a_body():
    assert isinstance(k8s.api_error(ApiException(status=403, reason="Forbidden"), "read", "c"), KubernetesForbidden)
    assert isinstance(k8s.api_error(ApiException(status=502), "read", "c"), TransientError)
