"""Faults on purpose end to end (issue 19): every step killed once, half done; the runs end where undisturbed ones do.

``lambda:kill-after-write=1`` (sandbox/aws/lambda_kills.py) kills each function's first invocation at its first
outbound call after its first write (or before it answers, for a step that writes nothing): the Kubernetes object,
the ACM import, the Route 53 change or the run lock is there, the step's answer is not. Step Functions sees
``Runtime.ExitError`` and runs the step again, in a new process, on a world where its first half already happened.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from layer7ctl.executions import ExecutionRecord
from sandbox.cli.demo import run_once, run_undo_once
from sandbox.environment import Sandbox
from sandbox.faults import Faults
from tests.e2e.test_undo import QUIET, setup_detail, undo_detail

pytestmark = pytest.mark.e2e
KILLS = Faults.parse("lambda:kill-after-write=1")


def killed_states(record: ExecutionRecord) -> list[str]:
    """The states whose task failed with a killed runtime, in order, from the execution's history."""
    entered, killed = "", []
    for event in record.history:
        if event["type"] == "TaskStateEntered":
            entered = event["stateEnteredEventDetails"]["name"]
        for key in ("taskFailedEventDetails", "lambdaFunctionFailedEventDetails"):
            if event.get(key, {}).get("error") == "Runtime.ExitError":
                killed.append(entered)
    return killed


def lambda_states(record: ExecutionRecord) -> list[str]:
    """The Lambda task states the run went through, once each, in order."""
    tasks = [event["stateEnteredEventDetails"]["name"] for event in record.history
             if event["type"] == "TaskStateEntered"]
    return [name for name in dict.fromkeys(tasks)
            if not name.startswith(("Publish", "ReleaseRunLock", "AcquireRunLock"))]


# What a step retried after a kill reports as a rerun does (CONTRACT "A rerun": nothing imported, the Ingress
# unchanged, the Service found ClusterIP), and what differs between any two runs (a Route 53 change's id and time,
# a latency): left out of the comparison.
ATTEMPT_FIELDS = (("certificateImported",), ("ingress", "changed"), ("service", "previousType"),
                  ("dnsRecord", "changeId"), ("dnsRecord", "submittedAt"), ("verification", "latencyMs"))


def end_state(box: Sandbox, record: ExecutionRecord | None = None) -> dict[str, Any]:
    """What a run leaves, with what differs by nature between two runs (ARNs, names) named by its role."""
    if record is not None:
        assert record.status == "SUCCEEDED", (record.error, record.cause, record.states)
    service = box.kube.get("services", box.namespace, box.service_name)
    output = json.loads(json.dumps(record.output)) if record is not None else None
    for path in ATTEMPT_FIELDS if output else ():
        parent: dict[str, Any] = output or {}
        for key in path[:-1]:
            parent = parent.get(key) or {}
        parent.pop(path[-1], None)
    text = json.dumps({
        "output": output,
        "ingresses": [{k: i[k] for k in ("name", "annotations")} for i in box.cluster_view()["ingresses"]],
        "serviceType": service["spec"]["type"],
        "certificates": box.certificate_count(),
        "loadBalancers": len(box.load_balancers()),
        "dns": box.dns_records(),
    }, sort_keys=True)
    volatile = {"certificateArn": (record.output or {}).get("certificateArn") if record else None}
    for lb in box.load_balancers():
        volatile.update(albArn=lb["LoadBalancerArn"], albDnsName=lb["DNSName"])
    for ingress in (service.get("status", {}).get("loadBalancer", {}).get("ingress") or []):
        volatile["layer4"] = ingress.get("hostname")
    if record is not None and ((record.output or {}).get("service") or {}).get("before"):
        volatile["layer4"] = record.output["service"]["before"]["address"]
    for role, value in volatile.items():
        if value:
            text = text.replace(value, f"<{role}>")
    return dict(json.loads(text))


def test_each_step_killed_once_after_its_first_write_ends_where_an_undisturbed_run_ends(fresh_sandbox):
    """Journey: every step of setup and undo dies once half way; Step Functions runs it again; nothing is doubled."""
    # Given every function's first invocation dies after its first write, and the chart's Service with its NLB
    box = fresh_sandbox(faults=KILLS)
    chart = end_state(box)
    # When setup and then the undo run
    setup = run_once(box, QUIET, setup_detail(box), run=1)
    after_setup = end_state(box, setup)
    undo = run_undo_once(box, QUIET, undo_detail(box))
    after_undo = end_state(box, undo)
    # Then every Lambda step of each was killed once and run again
    assert killed_states(setup) == lambda_states(setup)
    assert set(killed_states(undo)) == set(lambda_states(undo)) - set(lambda_states(setup))  # a function dies once
    # and the undo left what an undisturbed undo leaves: the chart's Service, the CNAME, no certificate, no ALB
    assert {**after_undo, "output": None} == chart
    assert (chart["certificates"], chart["loadBalancers"], chart["ingresses"]) == (0, 0, [])
    # and setup ends where an undisturbed setup ends: one Ingress, one certificate, one ALB, one record, same output
    box.aws.set_faults(None)
    again = run_once(box, QUIET, setup_detail(box), run=2)
    assert end_state(box, again) == after_setup
    assert (after_setup["certificates"], after_setup["loadBalancers"]) == (1, 1)
    assert (len(after_setup["ingresses"]), len(after_setup["dns"]), after_setup["serviceType"]) == (1, 1, "ClusterIP")
