"""``teardown``: the setups still live, the undo that takes each back, then ``cdk destroy``.

What a setup makes is not CloudFormation's: the ACM certificate it imported,
the Ingress and the ALB, target groups and security groups the AWS Load
Balancer Controller made for it, the host's Route 53 alias, and the Service
it turned into ClusterIP. ``cdk destroy`` deletes the stack and with it the
undo workflow, and leaves all of those. So the undo runs first, for each
host whose latest successful setup no successful undo has followed.

Found from the workflows' own executions (ListExecutions, one
DescribeExecution per successful run for its host), so it works with the
rights ``layer7ctl list --host`` needs and reads no cluster.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Console

from layer7ctl import commands, views
from layer7ctl.executions import follow

# What a setup leaves when the stack goes without its undo (docs/CONTRACT.md "What the automation does").
LEFT_BEHIND = ("the ACM certificate it imported", "the Ingress, and the ALB, target groups and security groups "
               "the AWS Load Balancer Controller made for it", "the host's Route 53 alias (with dns)",
               "the Milvus Service as ClusterIP, its Layer-4 load balancer gone (with layer4 remove)")
DESTROY = "cdk destroy (with the context the stack was deployed with, and its stack name)"


@dataclass(frozen=True)
class LiveSetup:
    """The latest successful setup of one host that no successful undo has followed."""

    host: str | None  # None: a run that named no host and verified none
    execution_arn: str
    stop_date: datetime
    undo_input: dict[str, Any]


def _succeeded(sfn: Any, machine_arn: str) -> list[dict[str, Any]]:
    """Every SUCCEEDED execution of one state machine, each described (its input and output), oldest first."""
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"stateMachineArn": machine_arn, "statusFilter": "SUCCEEDED", "maxResults": 1000}
    while True:
        page = sfn.list_executions(**kwargs)
        found.extend(sfn.describe_execution(executionArn=e["executionArn"]) for e in page["executions"])
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    return sorted(found, key=lambda e: e["stopDate"])


def running(sfn: Any, machines: dict[str, str]) -> list[dict[str, Any]]:
    """Executions of either workflow still running: a teardown waits for them (or stops them) first."""
    return [{**e, "workflow": label} for label, arn in machines.items()
            for e in sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING", maxResults=1000)["executions"]]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def undo_input_for(described: dict[str, Any]) -> dict[str, Any]:
    """The undo's identifying fields for what one setup made: from its input, else from what its output says."""
    given = commands._parsed(described.get("input"))  # noqa: SLF001 - the one JSON reading of an execution
    given = given if isinstance(given, dict) else {}
    output = commands._parsed(described.get("output"))  # noqa: SLF001
    output = output if isinstance(output, dict) else {}
    ingress = _mapping(output.get("ingress"))
    service = _mapping(output.get("service"))
    found = {"host": commands.run_host(described), "clusterName": given.get("clusterName"),
             "namespace": given.get("namespace") or ingress.get("namespace"),
             "serviceName": given.get("serviceName") or service.get("name"),
             "ingressName": given.get("ingressName") or ingress.get("name")}
    data: dict[str, Any] = {key: value for key, value in found.items() if isinstance(value, str) and value}
    dns = given.get("dns")
    if isinstance(dns, dict) and dns.get("hostedZoneId"):
        data["dns"] = {"hostedZoneId": dns["hostedZoneId"]}
    return data


def live_setups(sfn: Any, setup_arn: str, undo_arn: str) -> list[LiveSetup]:
    """Per host, its latest SUCCEEDED setup when no SUCCEEDED undo of that host ended after it."""
    latest: dict[str | None, dict[str, Any]] = {}
    for described in _succeeded(sfn, setup_arn):
        latest[commands.run_host(described)] = described
    undone: dict[str | None, datetime] = {}
    for described in _succeeded(sfn, undo_arn):
        undone[commands.run_host(described)] = described["stopDate"]
    return [LiveSetup(host, d["executionArn"], d["stopDate"], undo_input_for(d)) for host, d in latest.items()
            if host not in undone or undone[host] < d["stopDate"]]


def undo_command(prog: str, setup: LiveSetup) -> str:
    flags = {"host": "--host", "clusterName": "--cluster-name", "namespace": "--namespace",
             "serviceName": "--service-name", "ingressName": "--ingress-name"}
    words = [prog, "undo", *(f"{flag} {setup.undo_input[key]}" for key, flag in flags.items()
                             if key in setup.undo_input)]
    if "dns" in setup.undo_input:
        words.append(f"--hosted-zone-id {setup.undo_input['dns']['hostedZoneId']}")
    return " ".join([*words, "--follow"])


def run(console: Console, sfn: Any, machines: dict[str, str], *, start: bool, shared: dict[str, Any],
        prog: str, as_json: bool) -> bool:
    """List (and with ``start``, run) the undos a teardown needs; True when nothing is left to undo."""
    busy = running(sfn, machines)
    live = live_setups(sfn, machines["setup"], machines["undo"])
    ended: list[dict[str, Any]] = []
    if start and not busy:
        started = [(setup, sfn.start_execution(stateMachineArn=machines["undo"],
                                               input=json.dumps({**shared, **setup.undo_input})))
                   for setup in live]
        for setup, answer in started:
            record = follow(sfn, answer["executionArn"], answer["startDate"].timestamp(), timeout_seconds=math.inf)
            ended.append({"host": setup.host, "executionArn": record.execution_arn, "status": record.status,
                          "error": record.error, "cause": record.cause})
    done = not busy and (not live or (bool(ended) and all(e["status"] == "SUCCEEDED" for e in ended)))
    if as_json:
        commands.print_json(console, {
            "running": [{"executionArn": e["executionArn"], "workflow": e["workflow"]} for e in busy],
            "liveSetups": [{"host": s.host, "setupExecutionArn": s.execution_arn, "undoInput": s.undo_input}
                           for s in live],
            "undos": ended, "readyToDestroy": done, "next": DESTROY if done else None})
        return done
    for execution in busy:
        views.say(console, f"running: {execution['workflow']} {execution['executionArn']}: wait for it to end, or "
                           f"`{prog} stop` it, then run teardown again")
    if not live:
        views.say(console, "no live setups: no undo is needed")
    for setup in live:
        views.say(console, (f"live: {setup.host or '(the stack host)'}", "bold"),
                  f" set up by {setup.execution_arn} at {setup.stop_date.isoformat()}")
        if not start:
            views.say(console, f"  undo it: {undo_command(prog, setup)}")
    for undo in ended:
        views.say(console, f"undo of {undo['host']}: {undo['status']} {undo['executionArn']}"
                  + (f" ({undo['error']}: {undo['cause']})" if undo["error"] else ""))
    if done:
        views.say(console, f"then: {DESTROY}")
    elif not busy and not start:
        views.say(console, f"then run `{prog} teardown --start`, or each undo above, and `{DESTROY}` once they "
                           "succeed. Without the undos, the stack goes and these stay: " + "; ".join(LEFT_BEHIND))
    return done
