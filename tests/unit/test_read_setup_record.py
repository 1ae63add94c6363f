"""ReadSetupRecord: a renewal is the recorded setup again; a new input may not silently replace the host's ALB."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apply_ingress.logic import apply_ingress
from layer7 import kube as k8s
from layer7.errors import InvalidInput
from read_setup_record import handler
from read_setup_record.logic import read_setup_record
from tests.unit.kube_fakes import FakeKube, apply_event, milvus_service, step_event

SERVICE = k8s.service_path("milvus", "milvus-demo")
INTERNAL_WITH_DNS = {"scheme": "internal", "layer4": "keep", "hostedZoneId": "Z123", "serviceName": "milvus-demo",
                     "ingressAnnotations": {"alb.ingress.kubernetes.io/tags": "team=search"}}


def cluster_after_setup(**overrides: Any) -> FakeKube:
    """A cluster on which ApplyIngress wrote its Ingress (and so its record) for ``overrides``."""
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer")})
    apply_ingress(apply_event(**overrides), kube, now=lambda: 1000.0)
    return kube


def renewal_event(**overrides: Any) -> Any:
    """What Validate makes of ``{"renew": true}``: the stack's defaults, no certificate, renew set."""
    return step_event(renew=True, certificate={}, **overrides)


def test_a_renewal_becomes_exactly_the_recorded_setup():
    # Given a setup made with scheme internal, DNS, layer4 keep and a caller's annotation
    kube = cluster_after_setup(**INTERNAL_WITH_DNS)
    writes = len(kube.writes())
    # When a renewal names only the host
    effective = read_setup_record(renewal_event(), kube)
    # Then it is the recorded request, marked as a renewal, and nothing was written
    expected = apply_event(**INTERNAL_WITH_DNS).request.model_copy(update={"renew": True})
    assert effective == expected
    assert effective.certificate.certificate_arn == expected.certificate.certificate_arn
    assert len(kube.writes()) == writes


def test_a_renewal_finds_the_record_on_an_ingress_of_another_name():
    # Given a setup whose Ingress is not named after the default Service
    kube = FakeKube({k8s.service_path("milvus", "milvus-proxy"): milvus_service("LoadBalancer")})
    apply_ingress(apply_event(serviceName="milvus-proxy", ingressName="milvus-l7"), kube, now=lambda: 1000.0)
    # When a renewal names only the host (Validate defaulted serviceName and ingressName)
    effective = read_setup_record(renewal_event(), kube)
    # Then the recorded names are used
    assert (effective.service_name, effective.ingress_name) == ("milvus-proxy", "milvus-l7")


def test_a_renewal_with_no_record_is_refused():
    # Given an Ingress of ours written before records were kept, and none for the host
    kube = FakeKube({k8s.ingress_path("milvus", "milvus-demo"): {
        "metadata": {"name": "milvus-demo", "namespace": "milvus",
                     "labels": {"app.kubernetes.io/managed-by": "milvus-layer7"}}}})
    # When a renewal runs, Then InvalidInput says what to do
    with pytest.raises(InvalidInput, match="no setup is recorded for host milvus.example.com.*full input"):
        read_setup_record(renewal_event(), kube)


def test_a_new_scheme_is_refused_unless_the_input_says_replace():
    # Given an internal setup
    kube = cluster_after_setup(**INTERNAL_WITH_DNS)
    # When an input asks for internet-facing, Then it is refused naming the field and the way through
    with pytest.raises(InvalidInput, match=r"scheme \(internal -> internet-facing\).*replaceLoadBalancer: true"):
        read_setup_record(step_event(scheme="internet-facing"), kube)
    # And a new IngressGroup is refused as well
    with pytest.raises(InvalidInput, match=r"group.name \(none -> shared\)"):
        read_setup_record(step_event(scheme="internal", ingressAnnotations={
            "alb.ingress.kubernetes.io/group.name": "shared"}), kube)
    # When it says so explicitly, Then it goes on as given
    explicit = step_event(scheme="internet-facing", replaceLoadBalancer=True)
    assert read_setup_record(explicit, kube) == explicit.request


def test_other_changes_to_a_recorded_setup_go_on_as_given():
    # Given an internal setup
    kube = cluster_after_setup(**INTERNAL_WITH_DNS)
    # When the same scheme comes with other annotations and no DNS, Then the input is taken as it is
    given = step_event(scheme="internal", ingressAnnotations={"alb.ingress.kubernetes.io/healthcheck-path": "/x"})
    assert read_setup_record(given, kube) == given.request


def test_a_host_served_by_another_ingress_or_an_ingress_serving_another_host_is_refused():
    # Given the host set up through Ingress milvus-l7
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer")})
    apply_ingress(apply_event(ingressName="milvus-l7"), kube, now=lambda: 1000.0)
    # When a setup for the host names another Ingress, Then it is refused: a second ALB for one name
    with pytest.raises(InvalidInput, match="already set up by Ingress milvus/milvus-l7"):
        read_setup_record(step_event(ingressName="milvus-demo"), kube)
    # When another host names milvus-l7, Then it is refused: the first host would lose its route
    with pytest.raises(InvalidInput, match="serves host milvus.example.com"):
        read_setup_record(step_event(host="other.example.com", ingressName="milvus-l7"), kube)


def test_a_record_from_a_newer_release_or_edited_by_hand_is_refused():
    kube = cluster_after_setup()
    path = k8s.ingress_path("milvus", "milvus-demo")
    annotations = kube.objects[path]["metadata"]["annotations"]
    record = json.loads(annotations["milvus-layer7/setup"])
    annotations["milvus-layer7/setup"] = json.dumps({**record, "version": 2})
    with pytest.raises(InvalidInput, match="version 2, written by a newer release"):
        read_setup_record(renewal_event(), kube)
    annotations["milvus-layer7/setup"] = "{not json"
    with pytest.raises(InvalidInput, match="not a setup record this workflow wrote"):
        read_setup_record(renewal_event(), kube)


def test_handler_returns_the_request_as_wire_json(lambda_context):
    kube = cluster_after_setup(**INTERNAL_WITH_DNS)
    result = handler.lambda_handler(renewal_event().to_wire(), lambda_context, connect=lambda _cluster: kube)
    assert result["scheme"] == "internal" and result["renew"] is True and result["hostedZoneId"] == "Z123"
    assert kube.closed
