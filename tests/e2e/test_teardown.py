"""Taking it down as the README says: `layer7ctl teardown`, its undos, then `cdk destroy`, and nothing of the
workflow's is left in AWS or in the cluster.

On the session's sandbox, as the session's last journey (marked ``destroys_session``: tests/e2e/conftest.py
orders it last): the destroy removes the stack the other journeys run on, and a sandbox of its own would cost
another deploy.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from sandbox.aws.deploy import destroy_stack
from stacks.names import STACK_NAME
from tests.e2e.operator_cli import run_layer7ctl
from tests.e2e.test_undo import setup_detail

pytestmark = [pytest.mark.e2e, pytest.mark.destroys_session]


def test_teardown_undoes_each_live_setup_then_cdk_destroy_leaves_nothing_of_the_workflow(fresh_sandbox, tmp_path):
    """Journey: a platform engineer takes it all down (README "Taking it down")."""
    box = fresh_sandbox()
    # Given the chart's Service with its NLB, the host a CNAME to it, and a setup with DNS that succeeded
    chart = box.kube.get("services", box.namespace, box.service_name)
    original_records = box.dns_records()
    setup_file = tmp_path / "setup.json"
    setup_file.write_text(json.dumps(setup_detail(box)))
    started = run_layer7ctl(box, "start", "--input", str(setup_file), "--follow")
    assert started.returncode == 0, started.stdout + started.stderr
    assert box.load_balancers() and box.certificate_count() == 1

    # When the operator asks what a teardown needs
    listed = run_layer7ctl(box, "teardown")
    # Then it names the live host and its undo, and keeps the destroy off (exit 1)
    assert listed.returncode == 1, listed.stdout + listed.stderr
    assert f"live: {box.host}" in listed.stdout and "--hosted-zone-id" in listed.stdout

    # When teardown --start runs the undos (plain gRPC to the sandbox's Milvus, every undo's shared field)
    shared = tmp_path / "undo.json"
    shared.write_text(json.dumps({"layer4Verify": {"tls": False, "port": 19530}, "layer7DrainSeconds": 0}))
    undone = run_layer7ctl(box, "teardown", "--start", "--input", str(shared))
    # Then the undo succeeded and the destroy is next
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert f"undo of {box.host}: SUCCEEDED" in undone.stdout
    assert undone.stdout.splitlines()[-1].startswith("then: cdk destroy")

    # When `cdk destroy` runs, from the assembly the deploy synthesized
    destroy_stack(box.aws, assembly=box.workdir / "cdk.out" / "assembly", stacks=[STACK_NAME])
    # Then the stack is gone, and with it its state machines
    with pytest.raises(ClientError, match="does not exist"):
        box.aws.client("cloudformation").describe_stacks(StackName=STACK_NAME)
    # (the session's other stacks, such as a parent pipeline's, are not this workflow's)
    machines = box.aws.client("stepfunctions").list_state_machines()["stateMachines"]
    assert [machine["name"] for machine in machines if machine["name"].startswith(f"{STACK_NAME}-")] == []
    # and nothing the workflow made outside CloudFormation is left: no certificate, ALB, Ingress or record
    assert box.certificate_count() == 0 and box.load_balancers() == []
    assert box.kube.list("ingresses", box.namespace) == []
    new_nlb = box.kube.get("services", box.namespace, box.service_name)["status"]["loadBalancer"][
        "ingress"][0]["hostname"]
    assert box.dns_records() == [{**original_records[0], "ResourceRecords": [{"Value": new_nlb}]}]
    # and the Service is the chart's LoadBalancer again, its Layer-4 load balancer serving
    service = box.kube.get("services", box.namespace, box.service_name)
    assert service["spec"]["type"] == chart["spec"]["type"] == "LoadBalancer"
    assert "milvus-layer7/layer4" not in service["metadata"].get("annotations", {})
