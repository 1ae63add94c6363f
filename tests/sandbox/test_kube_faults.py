"""The product's Kubernetes client against the stand-in's injected faults: each is a TransientError, never a
permanent error, so the state machine retries it (stacks/retries.py)."""

from __future__ import annotations

import pytest
from moto import mock_aws

from apply_ingress.logic import apply_ingress
from layer7 import kube as k8s
from layer7.errors import TransientError
from sandbox.faults import KUBE_KINDS, Faults
from tests.sandbox.conftest import chart_service, connector, point_cluster_at
from tests.unit.kube_fakes import apply_event


@mock_aws
@pytest.mark.parametrize("kind", KUBE_KINDS)
def test_every_fault_of_the_api_server_is_a_transient_error(standin, kind):
    # Given the cluster's API answering every call with one fault
    standin.seed_service(chart_service())
    kube = connector(point_cluster_at(standin))("milvus-eks")
    standin.set_faults(Faults(((kind, 1.0),)))
    # When a step reads the Service
    with pytest.raises(TransientError) as caught:
        k8s.read_service(kube, "milvus", "milvus-demo")
    # Then it is a TransientError naming the cluster and the call, and the fault was met once
    assert "'milvus-eks'" in str(caught.value) and "read Service milvus/milvus-demo" in str(caught.value)
    assert (str(kind) in str(caught.value)) == (kind != "reset")
    assert standin.faults_thrown == [kind]
    # And once the faults stop, the same client goes on
    standin.set_faults(None)
    assert k8s.read_service(kube, "milvus", "milvus-demo")["metadata"]["name"] == "milvus-demo"


@mock_aws
def test_a_share_of_faults_ends_a_step_in_success_or_a_transient_error_and_a_rerun_converges(standin):
    # Given a fifth of the calls failing, every kind, from a seed
    standin.seed_service(chart_service())
    connect = connector(point_cluster_at(standin))
    rates = tuple((kind, 0.04) for kind in KUBE_KINDS)
    standin.set_faults(Faults(rates, seed=7))  # a seed that throws every kind within the 30 runs
    # When ApplyIngress runs as the state machine runs it: again after each TransientError
    outcomes = []
    for _ in range(30):
        try:
            apply_ingress(apply_event(), connect("milvus-eks"))
            outcomes.append("ok")
        except TransientError:
            outcomes.append("transient")
    # Then nothing but success and TransientError, both met, and each kind of fault was thrown
    assert set(outcomes) == {"ok", "transient"}
    assert set(standin.faults_thrown) == set(KUBE_KINDS)
    # And the Ingress is the one an undisturbed run applies
    standin.set_faults(None)
    ingress = standin.get("ingresses", "milvus", "milvus-demo")
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"] == {
        "name": "milvus-demo", "port": {"number": 19530}}
