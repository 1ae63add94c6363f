"""The Kubernetes API stand-in, driven by the official client with botocore-made EKS tokens."""

from __future__ import annotations

import base64
import datetime
import json
import urllib.parse

import boto3
import botocore.session
import kubernetes
import pytest
from kmock import KubernetesError
from kubernetes.client.rest import ApiException

from sandbox.environment import CHART_SERVICE, load_manifest
from sandbox.kubernetes import KubernetesStandIn
from sandbox.kubernetes.auth import TokenError, TokenVerifier

CLUSTER = "milvus-eks"
CREDS = {"AKIDSANDBOX": "sandbox-secret"}


def make_token(cluster: str = CLUSTER, *, key: str = "AKIDSANDBOX", secret: str = "sandbox-secret",
               region: str = "us-east-1", expires: int = 60) -> str:
    """As aws-iam-authenticator / `aws eks get-token`: presigned GetCallerIdentity with x-k8s-aws-id signed."""
    session = boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name=region,
                            botocore_session=botocore.session.Session())
    sts = session.client("sts", region_name=region, endpoint_url=f"https://sts.{region}.amazonaws.com")

    def keep_id(params, context, **_):
        if "x-k8s-aws-id" in params:
            context["x-k8s-aws-id"] = params.pop("x-k8s-aws-id")

    def add_header(request, **_):
        if "x-k8s-aws-id" in request.context:
            request.headers["x-k8s-aws-id"] = request.context["x-k8s-aws-id"]

    sts.meta.events.register("provide-client-params.sts.GetCallerIdentity", keep_id)
    sts.meta.events.register("before-sign.sts.GetCallerIdentity", add_header)
    url = sts.generate_presigned_url("get_caller_identity", Params={"x-k8s-aws-id": cluster},
                                     ExpiresIn=expires, HttpMethod="GET")
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def chart_service(namespace: str, *, source_ranges: bool = True) -> dict:
    """The Milvus chart's LoadBalancer Service (sandbox/fixtures), in ``namespace``."""
    manifest = load_manifest(CHART_SERVICE)
    manifest["metadata"]["namespace"] = namespace
    if not source_ranges:
        del manifest["spec"]["loadBalancerSourceRanges"]
    return manifest


@pytest.fixture(scope="module")
def kube():
    stand_in = KubernetesStandIn(cluster_name=CLUSTER, credentials=CREDS)
    stand_in.start()
    stand_in.seed_service(chart_service("milvus"))
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="module")
def ca_file(kube, tmp_path_factory):
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    path.write_text(kube.ca_pem)
    return str(path)


def client(kube, ca_file, token: str | None = None) -> kubernetes.client.ApiClient:
    config = kubernetes.client.Configuration(host=kube.url, ssl_ca_cert=ca_file,
                                             api_key={"authorization": "Bearer " + (token or make_token())})
    config.retries = False
    return kubernetes.client.ApiClient(config)


@pytest.fixture()
def core(kube, ca_file):
    return kubernetes.client.CoreV1Api(client(kube, ca_file))


@pytest.fixture()
def net(kube, ca_file):
    return kubernetes.client.NetworkingV1Api(client(kube, ca_file))


def ingress_body(name="milvus-demo", **annotations):
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": "milvus", "annotations": {
            "alb.ingress.kubernetes.io/scheme": "internet-facing", **annotations}},
        "spec": {"ingressClassName": "alb", "rules": [{"host": "milvus.example.com", "http": {"paths": [{
            "path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "milvus-demo", "port": {"number": 19530}}}}]}}]},
    }


def test_seeded_service_looks_like_helm_installed_it(core):
    svc = core.read_namespaced_service("milvus-demo", "milvus")
    assert svc.spec.type == "LoadBalancer"
    assert svc.metadata.labels["app.kubernetes.io/managed-by"] == "Helm"
    assert svc.metadata.annotations["meta.helm.sh/release-name"] == "milvus-demo"
    assert all(p.node_port for p in svc.spec.ports)
    assert svc.status.load_balancer.ingress[0].hostname.endswith(".elb.us-east-1.amazonaws.com")
    assert svc.metadata.uid and svc.metadata.resource_version and svc.metadata.creation_timestamp


@pytest.mark.parametrize("token", [
    None, "", "not-a-token", "k8s-aws-v1.!!!", "k8s-aws-v1." + "A" * 5000,
])
def test_bad_tokens_are_401(kube, ca_file, token):
    config = kubernetes.client.Configuration(host=kube.url, ssl_ca_cert=ca_file)
    if token is not None:
        config.api_key = {"authorization": "Bearer " + token}
    with pytest.raises(ApiException) as e:
        core = kubernetes.client.CoreV1Api(kubernetes.client.ApiClient(config))
        core.read_namespaced_service("milvus-demo", "milvus")
    assert e.value.status == 401
    assert '"reason":"Unauthorized"' in e.value.body.replace(" ", "")


def test_token_for_another_cluster_or_key_is_401(kube, ca_file):
    for token in (make_token("other-cluster"), make_token(secret="wrong"), make_token(key="AKIDUNKNOWN")):
        with pytest.raises(ApiException) as e:
            kubernetes.client.CoreV1Api(client(kube, ca_file, token)).list_namespaced_service("milvus")
        assert e.value.status == 401


def test_verifier_dates_signed_headers_and_expires():
    token = make_token()
    verifier = TokenVerifier(CLUSTER, CREDS)
    assert verifier.verify("Bearer " + token) == "AKIDSANDBOX"
    later = TokenVerifier(CLUSTER, CREDS, clock=lambda: datetime.datetime.now(datetime.timezone.utc)
                          + datetime.timedelta(minutes=16))
    with pytest.raises(TokenError, match="expired"):
        later.verify("Bearer " + token)
    with pytest.raises(TokenError, match="X-Amz-Expires"):
        verifier.verify("Bearer " + make_token(expires=3600))
    # Drop x-k8s-aws-id from the signed headers: refused before the signature is even checked.
    url = base64.urlsafe_b64decode(token[len("k8s-aws-v1."):] + "==").decode()
    stripped = url.replace("host%3Bx-k8s-aws-id", "host")
    bad = "k8s-aws-v1." + base64.urlsafe_b64encode(stripped.encode()).decode().rstrip("=")
    with pytest.raises(TokenError, match="x-k8s-aws-id"):
        verifier.verify("Bearer " + bad)
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert params["X-Amz-SignedHeaders"] == "host;x-k8s-aws-id"


def test_product_token_helper_is_accepted(kube, monkeypatch):
    eks_token = pytest.importorskip("layer7.eks_token")
    session = boto3.Session(aws_access_key_id="AKIDSANDBOX", aws_secret_access_key="sandbox-secret",
                            region_name="us-east-1")
    assert TokenVerifier(CLUSTER, CREDS).verify("Bearer " + eks_token.get_token(CLUSTER, session=session))


def test_missing_object_is_404_status(core):
    with pytest.raises(ApiException) as e:
        core.read_namespaced_service("nope", "milvus")
    assert e.value.status == 404
    body = json.loads(e.value.body)
    assert (body["kind"], body["status"], body["reason"], body["code"]) == ("Status", "Failure", "NotFound", 404)
    assert body["message"] == 'services "nope" not found'


def test_forbidden_mode_is_403(kube, core):
    kube.deny("milvus")
    try:
        with pytest.raises(ApiException) as e:
            core.read_namespaced_service("milvus-demo", "milvus")
        assert e.value.status == 403 and '"Forbidden"' in e.value.body
    finally:
        kube.allow()
    assert core.read_namespaced_service("milvus-demo", "milvus").metadata.name == "milvus-demo"


def test_ingress_crud_and_server_side_apply(kube, net):
    body = ingress_body("crud", **{"alb.ingress.kubernetes.io/extra": "1"})
    with pytest.raises(ApiException) as e:  # fieldManager is required for apply
        net.patch_namespaced_ingress("crud", "milvus", body, _content_type="application/apply-patch+yaml")
    assert e.value.status == 422
    created = net.patch_namespaced_ingress("crud", "milvus", body, field_manager="layer7",
                                           _content_type="application/apply-patch+yaml")
    assert created.metadata.uid and created.metadata.managed_fields[0].manager == "layer7"
    rv = created.metadata.resource_version
    again = net.patch_namespaced_ingress("crud", "milvus", body, field_manager="layer7",
                                         _content_type="application/apply-patch+yaml")
    assert again.metadata.resource_version == rv  # no-op apply
    del body["metadata"]["annotations"]["alb.ingress.kubernetes.io/extra"]
    body["metadata"]["annotations"]["alb.ingress.kubernetes.io/other"] = "2"
    changed = net.patch_namespaced_ingress("crud", "milvus", body, field_manager="layer7", force=True,
                                           _content_type="application/apply-patch+yaml")
    assert "alb.ingress.kubernetes.io/extra" not in changed.metadata.annotations  # dropped by its manager
    assert changed.metadata.annotations["alb.ingress.kubernetes.io/other"] == "2"
    assert changed.metadata.uid == created.metadata.uid and changed.metadata.generation == 1
    net.patch_namespaced_ingress("crud", "milvus", {"metadata": {"labels": {"a": "b"}}})  # strategic merge
    assert kube.get("ingresses", "milvus", "crud")["metadata"]["labels"] == {"a": "b"}
    net.patch_namespaced_ingress("crud", "milvus", {"metadata": {"labels": {"a": None}}},
                                 _content_type="application/merge-patch+json")
    assert not kube.get("ingresses", "milvus", "crud")["metadata"].get("labels")
    current = net.read_namespaced_ingress("crud", "milvus")
    current.spec.rules[0].host = "other.example.com"
    replaced = net.replace_namespaced_ingress("crud", "milvus", current)
    assert replaced.spec.rules[0].host == "other.example.com" and replaced.metadata.generation == 2
    current.metadata.resource_version = "1"
    with pytest.raises(ApiException) as e:
        net.replace_namespaced_ingress("crud", "milvus", current)
    assert e.value.status == 409
    assert [i.metadata.name for i in net.list_namespaced_ingress("milvus").items] == ["crud"]
    net.delete_namespaced_ingress("crud", "milvus")
    assert kube.get("ingresses", "milvus", "crud") is None
    with pytest.raises(ApiException) as e:
        net.create_namespaced_ingress("absent-ns", ingress_body("x"))
    assert e.value.status in (400, 404)


def test_create_conflict_and_validation(kube, net):
    net.create_namespaced_ingress("milvus", ingress_body("dup"))
    with pytest.raises(ApiException) as e:
        net.create_namespaced_ingress("milvus", ingress_body("dup"))
    assert e.value.status == 409 and '"AlreadyExists"' in e.value.body
    bad = ingress_body("bad")
    del bad["spec"]["rules"][0]["http"]["paths"][0]["pathType"]
    with pytest.raises(KubernetesError) as e:  # the client validates too; check the server's own check
        kube.create("ingresses", "milvus", bad)
    assert (e.value.status, e.value.reason) == (422, "Invalid")
    net.delete_namespaced_ingress("dup", "milvus")


def test_apply_conflicts_with_helm_unless_forced(kube, core):
    kube.seed_service(chart_service("conflict", source_ranges=False))
    config = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "milvus-demo", "namespace": "conflict"},
              "spec": {"type": "ClusterIP"}}
    with pytest.raises(ApiException) as e:
        core.patch_namespaced_service("milvus-demo", "conflict", config, field_manager="layer7",
                                      _content_type="application/apply-patch+yaml")
    assert e.value.status == 409 and ".spec.type" in e.value.body
    svc = core.patch_namespaced_service("milvus-demo", "conflict", config, field_manager="layer7", force=True,
                                        _content_type="application/apply-patch+yaml")
    assert svc.spec.type == "ClusterIP"
    assert all(p.node_port is None for p in svc.spec.ports)
    assert svc.status.load_balancer.ingress is None


@pytest.mark.parametrize("how", ["strategic", "merge", "replace"])
def test_service_to_cluster_ip_drops_node_ports_and_load_balancer(kube, core, how):
    # Given a LoadBalancer Service without source ranges (the chart's has them: see below)
    ns = f"l4-{how}"
    kube.seed_service(chart_service(ns, source_ranges=False))
    before = core.read_namespaced_service("milvus-demo", ns)
    if how == "strategic":
        svc = core.patch_namespaced_service("milvus-demo", ns, {"spec": {"type": "ClusterIP"}})
    elif how == "merge":
        svc = core.patch_namespaced_service("milvus-demo", ns, {"spec": {"type": "ClusterIP"}},
                                            _content_type="application/merge-patch+json")
    else:
        before.spec.type = "ClusterIP"
        svc = core.replace_namespaced_service("milvus-demo", ns, before)
    assert svc.spec.type == "ClusterIP"
    assert [p.node_port for p in svc.spec.ports] == [None, None]
    assert svc.spec.health_check_node_port is None and svc.spec.external_traffic_policy is None
    assert svc.spec.cluster_ip == before.spec.cluster_ip
    assert kube.get("services", ns, "milvus-demo")["status"]["loadBalancer"] == {}
    assert int(svc.metadata.resource_version) > int(before.metadata.resource_version)


def test_explicit_node_port_on_cluster_ip_is_invalid(kube, core):
    kube.seed_service(chart_service("np", source_ranges=False))
    svc = core.read_namespaced_service("milvus-demo", "np")
    ports = [{"port": p.port, "nodePort": p.node_port + 1 if p.node_port < 32767 else 30000} for p in svc.spec.ports]
    with pytest.raises(ApiException) as e:
        core.patch_namespaced_service("milvus-demo", "np", {"spec": {"type": "ClusterIP", "ports": ports}})
    assert e.value.status == 422


def test_chart_service_cannot_become_cluster_ip_by_type_alone(kube, core):
    # Given the chart's Service, whose values render loadBalancerSourceRanges [0.0.0.0/0]
    kube.seed_service(chart_service("ranges"))
    # When only the type is patched, as `kubectl patch -p '{"spec":{"type":"ClusterIP"}}'` does
    with pytest.raises(ApiException) as e:
        core.patch_namespaced_service("milvus-demo", "ranges", {"spec": {"type": "ClusterIP"}})
    # Then the API server refuses it as ValidateService does (dropTypeDependentFields leaves source ranges)
    assert e.value.status == 422
    status = json.loads(e.value.body)
    assert status["message"] == ('Service "milvus-demo" is invalid: spec.LoadBalancerSourceRanges: Forbidden: '
                                 "may only be used when `type` is 'LoadBalancer'")
    assert status["details"]["causes"] == [{"reason": "FieldValueForbidden", "field": "spec.LoadBalancerSourceRanges",
                                            "message": "Forbidden: may only be used when `type` is 'LoadBalancer'"}]
    # and the Service is unchanged
    assert core.read_namespaced_service("milvus-demo", "ranges").spec.type == "LoadBalancer"


def test_a_strategic_merge_patch_of_ports_without_their_merge_key_is_refused_unchanged(kube, core):
    # Given the chart's Service
    kube.seed_service(chart_service("no-key", source_ranges=False))
    before = kube.get("services", "no-key", "milvus-demo")
    # When a port is patched without "port", the merge key of spec.ports, as a hand-written `kubectl patch` may
    with pytest.raises(ApiException) as e:
        core.patch_namespaced_service("milvus-demo", "no-key", {"spec": {"ports": [{"nodePort": None,
                                                                                     "name": "milvus"}]}})
    # Then the API server answers strategicpatch's plain error as it passes it through: a 500 with its text
    assert e.value.status == 500
    status = json.loads(e.value.body)
    assert status["message"] == "map: map[name:milvus nodePort:<nil>] does not contain declared merge key: port"
    assert status["reason"] == ""
    # and the Service is unchanged
    assert kube.get("services", "no-key", "milvus-demo") == before


def test_null_deletes_make_the_chart_service_cluster_ip(kube, core):
    kube.seed_service(chart_service("nulls"))
    patch = {"spec": {"type": "ClusterIP", "loadBalancerSourceRanges": None}}
    svc = core.patch_namespaced_service("milvus-demo", "nulls", patch)
    assert svc.spec.type == "ClusterIP" and svc.spec.load_balancer_source_ranges is None
    assert svc.spec.allocate_load_balancer_node_ports is None and svc.spec.external_traffic_policy is None


@pytest.mark.parametrize(("patch", "message"), [
    ({"metadata": {"annotations": {"service.beta.kubernetes.io/load-balancer-source-ranges": "10.0.0.0/8"}},
      "spec": {"loadBalancerSourceRanges": None}},
     "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: Forbidden: may only be used "
     "when `type` is 'LoadBalancer'"),
    ({"spec": {"loadBalancerSourceRanges": None, "allocateLoadBalancerNodePorts": False}},
     "spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'"),
    ({"spec": {"loadBalancerSourceRanges": None, "loadBalancerClass": "service.k8s.aws/nlb"}},
     "spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'"),
    ({"spec": {"loadBalancerSourceRanges": None, "externalTrafficPolicy": "Local"}},
     'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'),
    ({"spec": {"loadBalancerSourceRanges": None, "healthCheckNodePort": 31000}},
     "spec.healthCheckNodePort: Invalid value: 31000: may only be set when `type` is 'LoadBalancer' and "
     "`externalTrafficPolicy` is 'Local'"),
])
def test_load_balancer_only_fields_are_refused_on_cluster_ip(kube, core, patch, message):
    # Given the chart's Service, and a change to ClusterIP that keeps (or sets) one LoadBalancer-only field
    ns = f"lb-only-{abs(hash(message)) % 10**6}"
    kube.seed_service(chart_service(ns))
    patch = {**patch, "spec": {"type": "ClusterIP", **patch["spec"]}}
    with pytest.raises(ApiException) as e:
        core.patch_namespaced_service("milvus-demo", ns, patch)
    assert e.value.status == 422
    assert json.loads(e.value.body)["message"] == f'Service "milvus-demo" is invalid: {message}'


def test_several_problems_are_listed_in_brackets(kube, core):
    kube.seed_service(chart_service("several"))
    with pytest.raises(ApiException) as e:
        core.patch_namespaced_service("milvus-demo", "several",
                                      {"spec": {"type": "ClusterIP", "allocateLoadBalancerNodePorts": False}})
    assert json.loads(e.value.body)["message"] == (
        'Service "milvus-demo" is invalid: [spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` '
        "is 'LoadBalancer', spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is "
        "'LoadBalancer']")


def test_events_field_selector(kube, core):
    kube.create("ingresses", "milvus", ingress_body("evented"))
    kube.record_event("milvus", "Ingress", "evented", "Warning", "FailedDeployModel", "boom", "ingress")
    kube.record_event("milvus", "Ingress", "evented", "Warning", "FailedDeployModel", "boom", "ingress")
    kube.record_event("milvus", "Service", "milvus-demo", "Normal", "Other", "x", "service-controller")
    events = core.list_namespaced_event(
        "milvus", field_selector="involvedObject.name=evented,involvedObject.kind=Ingress").items
    assert len(events) == 1 and events[0].count == 2 and events[0].reason == "FailedDeployModel"
    assert events[0].involved_object.uid == kube.get("ingresses", "milvus", "evented")["metadata"]["uid"]
    assert events[0].source.component == "ingress"
    assert len(core.list_namespaced_event("milvus", field_selector="involvedObject.kind!=Ingress").items) >= 1
    assert core.list_namespaced_event("milvus", field_selector="type=Normal,reason=Nope").items == []


def test_put_status_and_namespaces(kube, net, core):
    kube.create("ingresses", "milvus", ingress_body("status"))
    kube.put_status("ingresses", "milvus", "status", {"loadBalancer": {"ingress": [{"hostname": "alb.example"}]}})
    ing = net.read_namespaced_ingress("status", "milvus")
    assert ing.status.load_balancer.ingress[0].hostname == "alb.example"
    assert "milvus" in [n.metadata.name for n in core.list_namespace().items]
    core.create_namespace({"metadata": {"name": "scratch"}})
    assert core.read_namespace("scratch").status.phase == "Active"
    core.delete_namespace("scratch")
    assert kube.get("namespaces", None, "scratch") is None


def test_an_object_with_finalizers_is_marked_on_delete_and_removed_with_its_last_finalizer(kube, net):
    # Given an Ingress a controller holds with its finalizer
    body = ingress_body("held")
    body["metadata"]["finalizers"] = ["ingress.k8s.aws/resources"]
    created = net.create_namespaced_ingress("milvus", body)
    # When it is deleted
    answer = net.delete_namespaced_ingress("held", "milvus")
    # Then it is kept, marked as being deleted (store.go markAsDeleting), its generation bumped, and readable
    held = kube.get("ingresses", "milvus", "held")
    assert held is not None and answer["kind"] == "Ingress"  # 200 with the object, not a Status
    assert held["metadata"]["deletionGracePeriodSeconds"] == 0 and held["metadata"]["deletionTimestamp"]
    assert held["metadata"]["generation"] == created.metadata.generation + 1
    assert [i.metadata.name for i in net.list_namespaced_ingress("milvus").items if i.metadata.name == "held"] \
        == ["held"]
    # and a second DELETE changes nothing
    version = held["metadata"]["resourceVersion"]
    net.delete_namespaced_ingress("held", "milvus")
    assert kube.get("ingresses", "milvus", "held")["metadata"]["resourceVersion"] == version
    # and an update keeps the deletion fields
    kube.patch("ingresses", "milvus", "held", {"metadata": {"labels": {"seen": "yes"},
                                                            "deletionTimestamp": None}})
    assert kube.get("ingresses", "milvus", "held")["metadata"]["deletionTimestamp"] == \
        held["metadata"]["deletionTimestamp"]
    # When the last finalizer is removed
    kube.patch("ingresses", "milvus", "held", {"metadata": {"finalizers": None}})
    # Then the object is gone
    assert kube.get("ingresses", "milvus", "held") is None


def test_no_finalizer_can_be_added_to_an_object_being_deleted(kube, net):
    body = ingress_body("closing")
    body["metadata"]["finalizers"] = ["example.com/one"]
    net.create_namespaced_ingress("milvus", body)
    net.delete_namespaced_ingress("closing", "milvus")
    with pytest.raises(ApiException) as e:
        net.patch_namespaced_ingress("closing", "milvus", {"metadata": {"finalizers": ["example.com/one",
                                                                                     "example.com/two"]}},
                                     _content_type="application/merge-patch+json")
    assert e.value.status == 422
    assert json.loads(e.value.body)["message"] == (
        'Ingress "closing" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the '
        'object is being deleted, found new finalizers []string{"example.com/two"}')
    kube.patch("ingresses", "milvus", "closing", {"metadata": {"finalizers": []}})
    assert kube.get("ingresses", "milvus", "closing") is None
