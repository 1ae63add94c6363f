"""``teardown``: the setups still live, the undo that takes each back, then ``cdk destroy``.

What a setup makes is not CloudFormation's: the ACM certificate it imported,
the Ingress and the ALB, target groups and security groups the AWS Load
Balancer Controller made for it, the host's Route 53 alias, and the Service
it turned into ClusterIP. ``cdk destroy`` deletes the stack and with it the
undo workflow, and leaves all of those. So the undo runs first, for each
host a setup made something for that no successful undo has followed: a
setup that succeeded, and one that failed, timed out or was stopped after it
entered a step that writes (ImportCertificate, ApplyIngress, UpsertDns,
RemoveLayer4: what it wrote stays, CONTRACT "Errors"). A setup that ended
before any of those made nothing.

Found from the workflows' own executions (ListExecutions, one
DescribeExecution per ended run, and for a run that did not succeed its
history), so it works with the rights ``layer7ctl list --host`` and
``follow`` need and reads no cluster.
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


# The setup's states that write outside CloudFormation; a run that entered one may have left what it wrote.
WRITING_STATES = frozenset({"ImportCertificate", "ApplyIngress", "UpsertDns", "RemoveLayer4"})
ENDED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@dataclass(frozen=True)
class LiveSetup:
    """The latest setup of one host that made something no successful undo has taken back."""

    host: str | None  # None: a run that named no host and verified none
    execution_arn: str
    stop_date: datetime
    undo_input: dict[str, Any]
    status: str = "SUCCEEDED"


def _ended(sfn: Any, machine_arn: str, statuses: tuple[str, ...] = ENDED) -> list[dict[str, Any]]:
    """Every execution of one state machine that ended in one of ``statuses``, each described (its input and
    output), oldest first: one listing of the machine (a status filter takes one status only), then a
    DescribeExecution for each that counts."""
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"stateMachineArn": machine_arn, "maxResults": 1000}
    while True:
        page = sfn.list_executions(**kwargs)
        found.extend(sfn.describe_execution(executionArn=e["executionArn"]) for e in page["executions"]
                     if e["status"] in statuses)
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    return sorted(found, key=lambda e: e["stopDate"])


def wrote(sfn: Any, execution_arn: str) -> bool:
    """Whether the run entered a state that writes (its history, a page at a time, stopping at the first)."""
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        if any((event.get("stateEnteredEventDetails") or {}).get("name") in WRITING_STATES
               for event in page["events"]):
            return True
        if not page.get("nextToken"):
            return False
        kwargs["nextToken"] = page["nextToken"]


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
    """Per host, the latest setup that ended after the host's last SUCCEEDED undo and made something: one that
    succeeded, or one that did not after it entered a writing state; oldest first."""
    undone: dict[str | None, datetime] = {}
    for described in _ended(sfn, undo_arn, ("SUCCEEDED",)):
        undone[commands.run_host(described)] = described["stopDate"]
    runs: dict[str | None, list[dict[str, Any]]] = {}
    for described in _ended(sfn, setup_arn):
        host = commands.run_host(described)
        if host not in undone or undone[host] < described["stopDate"]:
            runs.setdefault(host, []).append(described)
    live = []
    for host, ended in runs.items():
        made = next((d for d in reversed(ended)
                     if d["status"] == "SUCCEEDED" or wrote(sfn, d["executionArn"])), None)
        if made is not None:
            live.append(LiveSetup(host, made["executionArn"], made["stopDate"], undo_input_for(made),
                                  made["status"]))
    return sorted(live, key=lambda setup: setup.stop_date)


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
            "liveSetups": [{"host": s.host, "setupExecutionArn": s.execution_arn, "status": s.status,
                            "undoInput": s.undo_input} for s in live],
            "undos": ended, "readyToDestroy": done, "next": DESTROY if done else None})
        return done
    for execution in busy:
        views.say(console, f"running: {execution['workflow']} {execution['executionArn']}: wait for it to end, or "
                           f"`{prog} stop` it, then run teardown again")
    if not live:
        views.say(console, "no live setups: no undo is needed")
    for setup in live:
        how = "" if setup.status == "SUCCEEDED" else f" ({setup.status} after a step that writes)"
        views.say(console, (f"live: {setup.host or '(the stack host)'}", "bold"),
                  f" set up by {setup.execution_arn} at {setup.stop_date.isoformat()}{how}")
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
