"""Drift after a setup, found by the drift check (CheckDrift, docs/CONTRACT.md "Drift check") as an operator runs it.

The sandbox plays the drift (``Sandbox.helm_upgrade``, sandbox/kubernetes/helm.py); ``layer7ctl status`` invokes
the stack's CheckDrift function as it does on AWS.
"""

from __future__ import annotations

import json

import pytest

from layer7ctl.executions import follow
from sandbox.cli.demo import SANDBOX_LAYER4_DRAIN_SECONDS
from sandbox.environment import HOST
from tests.e2e.operator_cli import run_layer7ctl

pytestmark = pytest.mark.e2e


def test_helm_upgrade_after_a_setup_is_reported_by_layer7ctl_status(fresh_sandbox):
    """Journey: after a setup, someone runs `helm upgrade` of the Milvus release with its install's values, and an
    operator's `layer7ctl status` says the Layer-4 load balancer is back and what to do."""
    # Given a successful setup, which turned the chart's Service ClusterIP
    box = fresh_sandbox()
    sfn = box.aws.client("stepfunctions")
    run = {"host": HOST, "certificate": {"secretArn": box.secret_arn},
           "layer4DrainSeconds": SANDBOX_LAYER4_DRAIN_SECONDS}
    arn = sfn.start_execution(stateMachineArn=box.state_machine_arn, input=json.dumps(run))["executionArn"]
    record = follow(sfn, arn, sfn.describe_execution(executionArn=arn)["startDate"].timestamp(), timeout_seconds=180)
    assert record.status == "SUCCEEDED", (record.error, record.cause, record.states)
    # and the drift check finds the host as recorded
    quiet = run_layer7ctl(box, "status", "--json")
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert json.loads(quiet.stdout) == {"host": HOST, "matches": True, "findings": []}
    # When the release is upgraded with its install's values (Helm 3's three-way merge)
    upgraded = box.helm_upgrade()
    assert upgraded["spec"]["type"] == "LoadBalancer"
    # Then the check finds the Layer-4 load balancer back, and only that, with what to do; exit code 1
    found = run_layer7ctl(box, "status", "--json")
    assert found.returncode == 1, found.stdout + found.stderr
    report = json.loads(found.stdout)
    assert (report["host"], report["matches"]) == (HOST, False)
    assert [finding["kind"] for finding in report["findings"]] == ["Layer4Back"]
    finding = report["findings"][0]
    assert "loadBalancerSourceRanges" in finding["what"]
    assert finding["do"]
    # and the operator's plain view names it with what to do
    shown = run_layer7ctl(box, "status")
    assert shown.returncode == 1
    assert "Layer4Back" in shown.stdout and "do: set service.type=ClusterIP" in " ".join(shown.stdout.split())
