"""The demo run: start the sandbox, send the event, follow, report.

The execution is started the way other pipelines start it: a ``Milvus Layer7 Setup Requested`` event on the
default bus, delivered by the stack's own rule; with ``--undo``, an ``Undo Requested`` event with setup's
identifying fields follows.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layer7ctl.executions import ExecutionRecord, first_ready_check, follow
from sandbox.faults import Faults

SOURCE = "milvus.layer7"
REQUESTED = "Milvus Layer7 Setup Requested"
UNDO_REQUESTED = "Milvus Layer7 Undo Requested"
# The fields that name what setup worked on: the undo takes the same ones (docs/CONTRACT.md "The undo workflow").
IDENTIFYING_FIELDS = ("host", "clusterName", "namespace", "serviceName", "ingressName", "dns")


@dataclass(frozen=True)
class DemoOptions:
    input_file: Path | None = None
    cert_dir: Path | None = None
    alb_delay: float = 3.0
    controller: str = "ok"
    milvus: str = "up"
    runs: int = 1
    service_file: Path | None = None
    dns: bool = False
    undo: bool = False
    faults: Faults | None = None
    json: bool = False


SANDBOX_LAYER4_DRAIN_SECONDS = 2


def builtin_input() -> dict[str, Any]:
    """The example a person sees first: the guide's defaults; host, secret and Service are the sandbox's."""
    return {
        "verify": {"roundTrip": True},
        "albTimeoutSeconds": 120,
        # Nobody but the demo dials the sandbox's Layer-4 load balancer: a short drain after "Endpoint Available"
        # (on AWS, leave the default 60 s for clients that dial it by name or through DNS managed elsewhere).
        "layer4DrainSeconds": SANDBOX_LAYER4_DRAIN_SECONDS,
    }


def execution_input(options: DemoOptions, host: str, secret_arn: str,
                    service: tuple[str, str] = ("milvus", "milvus-demo"), hosted_zone_id: str = "") -> Any:
    """The run's input, with what only the sandbox knows (host, secret, the seeded Service, its zone) filled in
    where left out."""
    data = json.loads(options.input_file.read_text()) if options.input_file else builtin_input()
    if not isinstance(data, dict):  # nothing to fill in: the workflow refuses it (InvalidInput), as on AWS
        return data
    data.setdefault("host", host)
    data.setdefault("certificate", {"secretArn": secret_arn})
    data.setdefault("namespace", service[0])
    data.setdefault("serviceName", service[1])
    if hosted_zone_id:
        data.setdefault("dns", {"hostedZoneId": hosted_zone_id})
    return data


def undo_input(setup_detail: Any) -> dict[str, Any]:
    """The undo's input for what ``setup_detail`` set up: its identifying fields, and plain gRPC on the Service's
    port through the Layer-4 load balancer (the sandbox's Milvus serves no TLS of its own)."""
    setup_detail = setup_detail if isinstance(setup_detail, dict) else {}
    data = {key: setup_detail[key] for key in IDENTIFYING_FIELDS if key in setup_detail}
    data["layer4Verify"] = {"tls": False, "port": int(setup_detail.get("servicePort", 19530))}
    return data


def start_by_event(sandbox: Any, state_machine_arn: str, detail: dict[str, Any], detail_type: str) -> tuple[str, float]:
    """Put the request event; return the execution the rule started and when."""
    sfn = sandbox.aws.client("stepfunctions")
    known = {e["executionArn"] for e in sfn.list_executions(stateMachineArn=state_machine_arn)["executions"]}
    started_at = time.time()
    answer = sandbox.aws.client("events").put_events(
        Entries=[{"Source": SOURCE, "DetailType": detail_type, "Detail": json.dumps(detail)}])
    if answer.get("FailedEntryCount"):
        raise RuntimeError(f"PutEvents refused the request: {answer['Entries']}")
    deadline = time.time() + 30
    while time.time() < deadline:
        for execution in sfn.list_executions(stateMachineArn=state_machine_arn)["executions"]:
            if execution["executionArn"] not in known:
                return execution["executionArn"], started_at
        time.sleep(0.1)
    raise TimeoutError("the event did not start an execution: is the rule deployed?")


def _say(options: DemoOptions, text: str) -> None:
    if not options.json:
        print(text, flush=True)


def run_demo(options: DemoOptions) -> int:
    from sandbox.environment import Sandbox, SandboxSettings, load_manifest

    settings = SandboxSettings(alb_delay=options.alb_delay, controller=options.controller, milvus=options.milvus,
                               service_manifest=load_manifest(options.service_file) if options.service_file else None,
                               dns=options.dns, faults=options.faults)
    log = (lambda *a, **k: None) if options.json else print
    _say(options, "Starting the sandbox: local AWS, Kubernetes API, controller, Milvus ...")
    with Sandbox(settings, log=log) as sandbox:
        _say(options, f"  stand-ins up in {sandbox.phases['standInsUp']:.1f} s; "
                      f"cdk bootstrap + deploy in {sandbox.phases['bootstrapAndDeploy']:.1f} s")
        report, succeeded = run_scenario(sandbox, options)
    if options.json:
        print(json.dumps(report))
    return 0 if succeeded else 1


def run_scenario(sandbox: Any, options: DemoOptions) -> tuple[dict[str, Any], bool]:
    """The demo's runs on a started sandbox: its report, and whether every run succeeded."""
    from sandbox.environment import HOST

    if options.cert_dir:
        sandbox.put_certificate(options.cert_dir)
    detail = execution_input(options, HOST, sandbox.secret_arn, (sandbox.namespace, sandbox.service_name),
                             sandbox.hosted_zone_id if options.dns else "")
    records = [run_once(sandbox, options, detail, run) for run in range(1, options.runs + 1)]
    undo_records = [run_undo_once(sandbox, options, undo_input(detail))] if options.undo else []
    every = [*records, *undo_records]
    return build_report(sandbox, records, undo_records), all(r.status == "SUCCEEDED" for r in every)


def run_once(sandbox: Any, options: DemoOptions, detail: Any, run: int) -> ExecutionRecord:
    sfn = sandbox.aws.client("stepfunctions")
    if isinstance(detail, dict):
        arn, started_at = start_by_event(sandbox, sandbox.state_machine_arn, detail, REQUESTED)
        how = REQUESTED
    else:  # an event's detail must be a JSON object (PutEvents, MalformedDetail): the console's way, then
        started_at = time.time()
        arn = sfn.start_execution(stateMachineArn=sandbox.state_machine_arn, input=json.dumps(detail))["executionArn"]
        how = "StartExecution"
    return _follow(sfn, options, f"\nRun {run}: {how}", arn, started_at)


def run_undo_once(sandbox: Any, options: DemoOptions, detail: dict[str, Any]) -> ExecutionRecord:
    """Start the undo by its event, as a parent pipeline's rollback does, and follow it."""
    arn, started_at = start_by_event(sandbox, sandbox.undo_state_machine_arn, detail, UNDO_REQUESTED)
    return _follow(sandbox.aws.client("stepfunctions"), options, f"\nUndo: {UNDO_REQUESTED}", arn, started_at)


def _follow(sfn: Any, options: DemoOptions, title: str, arn: str, started_at: float) -> ExecutionRecord:
    _say(options, f"{title} -> {arn.rsplit(':', 1)[-1]}")
    record = follow(sfn, arn, started_at,
                    on_state=lambda name, at: _say(options, f"  {at:6.1f} s  {name}"))
    if record.status == "SUCCEEDED":
        _say(options, f"  SUCCEEDED in {record.seconds:.1f} s\n{json.dumps(record.output, indent=2)}")
    else:
        _say(options, f"  {record.status} in {record.seconds:.1f} s: {record.error}: {record.cause}")
    return record


def build_report(sandbox: Any, records: list[ExecutionRecord],
                 undo_records: list[ExecutionRecord] | None = None) -> dict[str, Any]:
    last = records[-1]
    timeline = sandbox.controller.timeline_for(*_ingress(last))
    detected = first_ready_check(last.history)

    def since_start(at: float | None) -> float | None:
        return None if at is None else round(at - last.started_at, 3)

    return {
        "runs": [r.to_json() for r in records],
        "undoRuns": [r.to_json() for r in undo_records or []],
        "cluster": sandbox.cluster_view(),
        "dnsRecords": sandbox.dns_records(),
        "acm": {"certificates": sandbox.certificate_count()},
        "elbv2": {"loadBalancers": [lb["DNSName"] for lb in sandbox.load_balancers()]},
        "timings": {
            "albAddressAt": since_start(timeline.get("addressAt")),
            "albReadyAt": since_start(timeline.get("activeAt")),
            "detectedAt": since_start(detected),
        },
    }


def _ingress(record: ExecutionRecord) -> tuple[str, str]:
    """The namespace and name of the Ingress the run made, from the request Validate read."""
    request: dict[str, Any] = {}
    for event in record.history:
        details = event.get("stateExitedEventDetails")
        if details and details.get("name") == "Validate":
            request = json.loads(details.get("output") or "{}").get("request") or {}
            break
    return request.get("namespace", "milvus"), request.get("ingressName", "milvus-demo")
