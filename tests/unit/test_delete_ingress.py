"""DeleteIngress and CheckIngressDeleted: the workflow's Ingress goes, and the run waits until the controller
has removed its ALB and let the Ingress go."""

from __future__ import annotations

from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from check_ingress_deleted import handler as check_handler
from check_ingress_deleted.logic import check_ingress_deleted
from delete_ingress import handler
from delete_ingress.logic import delete_ingress
from layer7 import kube as k8s
from layer7.errors import InvalidInput, LoadBalancerTimeout
from layer7.undo_models import CheckIngressDeletedEvent, UndoStepEvent
from tests.unit.kube_fakes import FakeKube
from tests.unit.undo_events import deletion, undo_request, wire

INGRESS = k8s.ingress_path("milvus", "milvus-demo")
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/c1"
T0 = 1_800_000_000.0


def ours(dns_name: str = "alb.example", **annotations: str) -> dict:
    return {"metadata": {"name": "milvus-demo", "namespace": "milvus", "finalizers": ["ingress.k8s.aws/resources"],
                         "labels": {"app.kubernetes.io/managed-by": "milvus-layer7"},
                         "annotations": {"alb.ingress.kubernetes.io/certificate-arn": CERT, **annotations}},
            "status": {"loadBalancer": {"ingress": [{"hostname": dns_name}]}}}


def test_the_ingress_is_deleted_and_what_goes_with_it_is_noted():
    # Given the Ingress setup applied, held by the controller's finalizer
    kube = FakeKube({INGRESS: ours()})
    # When DeleteIngress runs
    result = delete_ingress(UndoStepEvent.model_validate(wire()), kube, now=lambda: T0)
    # Then it sent one DELETE, and noted the ALB's name, the controller's stack tag and the certificate
    assert [(c["method"], c["path"]) for c in kube.writes()] == [("DELETE", INGRESS)]
    assert result.to_wire() == {"namespace": "milvus", "name": "milvus-demo", "found": True, "deletedAt": T0,
                                "loadBalancerDnsName": "alb.example", "stack": "milvus/milvus-demo",
                                "sharedGroup": False, "certificateArns": [CERT]}
    # and a second run (a retry of a killed attempt, or a rerun) finds it being deleted, sends nothing more and
    # answers the same
    again = delete_ingress(UndoStepEvent.model_validate(wire()), kube, now=lambda: T0)
    assert kube.objects[INGRESS]["metadata"].get("deletionTimestamp")
    assert len(kube.writes()) == 1 and again == result


def test_an_ingress_in_a_group_names_the_group_as_its_stack():
    kube = FakeKube({INGRESS: ours(**{"alb.ingress.kubernetes.io/group.name": "shared"})})
    result = delete_ingress(UndoStepEvent.model_validate(wire()), kube)
    assert (result.stack, result.shared_group) == ("shared", True)


def test_an_ingress_already_gone_is_fine_and_one_not_ours_is_refused(lambda_context):
    assert handler.lambda_handler(wire(), lambda_context, connect=lambda name: FakeKube())["found"] is False
    foreign = ours()
    foreign["metadata"]["labels"] = {}
    kube = FakeKube({INGRESS: foreign})
    with pytest.raises(InvalidInput, match="not created by this workflow"):
        delete_ingress(UndoStepEvent.model_validate(wire()), kube)
    assert kube.writes() == []


@pytest.fixture
def elbv2():
    with mock_aws():
        ec2, client = boto3.client("ec2"), boto3.client("elbv2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{az}")
                   ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
        tags = [{"Key": "elbv2.k8s.aws/cluster", "Value": "milvus-eks"},
                {"Key": "ingress.k8s.aws/stack", "Value": "milvus/milvus-demo"}]
        alb = client.create_load_balancer(Name="k8s-milvus-milvusde-0123456789", Subnets=subnets,
                                          Tags=tags)["LoadBalancers"][0]
        yield SimpleNamespace(client=client, alb=alb)


def check(kube, elbv2, *, at: float, **deleted) -> object:
    event = CheckIngressDeletedEvent.model_validate(wire(undo_request(albTimeoutSeconds=120),
                                                        ingressDeletion=deletion(deletedAt=T0, **deleted)))
    return check_ingress_deleted(event, kube, elbv2.client, now=lambda: at)


def test_not_done_while_the_ingress_is_held_or_its_alb_is_tagged(elbv2):
    name = elbv2.alb["DNSName"]
    # Given the Ingress still held by the finalizer
    held = check(FakeKube({INGRESS: ours(name)}), elbv2, at=T0 + 8, loadBalancerDnsName=name)
    assert (held.done, held.ingress_gone, held.wait_seconds) == (False, False, 2)
    # Given the Ingress gone but the ALB still there (found by its name, checked by its tags)
    tagged = check(FakeKube(), elbv2, at=T0 + 40, loadBalancerDnsName=name)
    assert (tagged.done, tagged.load_balancers) == (False, [elbv2.alb["LoadBalancerArn"]])
    # and found by its tags alone when the Ingress never had an address
    assert check(FakeKube(), elbv2, at=T0 + 40).load_balancers == [elbv2.alb["LoadBalancerArn"]]
    # When the controller deleted it
    elbv2.client.delete_load_balancer(LoadBalancerArn=elbv2.alb["LoadBalancerArn"])
    # Then the removal is done
    gone = check(FakeKube(), elbv2, at=T0 + 50, loadBalancerDnsName=name)
    assert (gone.done, gone.ingress_gone, gone.load_balancers, gone.wait_seconds) == (True, True, [], 0)


def test_a_shared_groups_alb_stays_and_only_the_ingress_counts(elbv2):
    result = check(FakeKube(), elbv2, at=T0 + 5, stack="shared", sharedGroup=True)
    assert result.done is True


def test_past_the_timeout_the_run_ends_saying_what_holds_the_ingress(elbv2, lambda_context):
    kube = FakeKube({INGRESS: ours()})
    with pytest.raises(LoadBalancerTimeout) as caught:
        check(kube, elbv2, at=T0 + 121)
    assert str(caught.value) == (
        "the load balancer controller did not remove the ALB of Ingress milvus/milvus-demo within 120 s: the "
        "Ingress is still there, held by ingress.k8s.aws/resources. Milvus answers through the Layer-4 load "
        "balancer; check the controller's logs (deletion protection, IAM) and start the undo again")
    out = check_handler.lambda_handler(wire(ingressDeletion=deletion()), lambda_context,
                                       connect=lambda name: FakeKube(), elbv2=elbv2.client)
    assert out["ingressGone"] is True
