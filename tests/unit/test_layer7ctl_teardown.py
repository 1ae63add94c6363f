"""``layer7ctl teardown``: which setups are live (latest SUCCEEDED setup per host, no SUCCEEDED undo after it),
the undo for each, and ``cdk destroy`` only once none is left."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from layer7ctl.__main__ import main
from layer7ctl.views import make_console
from tests.unit.test_layer7ctl import MACHINE, T0, UNDO_MACHINE, connected, entered, history_page

ZONE = "Z0123456789ABCDEFGHIJ"


def _arn(machine: str, name: str) -> str:
    return machine.replace(":stateMachine:", ":execution:") + f":{name}"


class Workflows:
    """Step Functions holding described executions of both workflows; an undo it starts ends as ``undo_status``."""

    def __init__(self, executions: list[dict], undo_status: str = "SUCCEEDED") -> None:
        self.executions = {e["executionArn"]: e for e in executions}
        self.undo_status = undo_status
        self.started: list[dict] = []

    def list_executions(self, *, stateMachineArn, statusFilter=None, maxResults=100, nextToken=None):
        assert nextToken is None
        return {"executions": [e for e in self.executions.values() if e["stateMachineArn"] == stateMachineArn
                               and statusFilter in (None, e["status"])][:maxResults]}

    def describe_execution(self, executionArn):
        return self.executions[executionArn]

    def start_execution(self, *, stateMachineArn, input):
        name = f"undo-{len(self.started)}"
        self.started.append({"stateMachineArn": stateMachineArn, "input": json.loads(input)})
        run = execution(UNDO_MACHINE, name, hours=10 + len(self.started), status=self.undo_status,
                        given=json.loads(input))
        self.executions[run["executionArn"]] = run
        return {"executionArn": run["executionArn"], "startDate": run["startDate"]}

    def get_execution_history(self, *, executionArn, **kwargs):
        """The states the execution entered (its ``states``; an undo's ValidateUndo, a setup's Validate)."""
        run = self.executions[executionArn]
        names = run.get("states") or (["ValidateUndo"] if run["stateMachineArn"] == UNDO_MACHINE else ["Validate"])
        return history_page([{"id": i + 1, **event} for i, event in enumerate(entered(*names))],
                            executionArn=executionArn, **kwargs)


def execution(machine: str, name: str, *, hours: float, status: str = "SUCCEEDED", given: dict | None = None,
              output: dict | None = None) -> dict:
    start = T0 + timedelta(hours=hours)
    return {"executionArn": _arn(machine, name), "name": name, "stateMachineArn": machine, "status": status,
            "startDate": start, "stopDate": start + timedelta(minutes=5), "input": json.dumps(given or {}),
            "output": json.dumps(output or {})}


def setup(name: str, host: str, hours: float, **kwargs) -> dict:
    return execution(MACHINE, name, hours=hours, given={"host": host, "namespace": "milvus",
                                                        "serviceName": "milvus-proxy", **kwargs})


def undo(name: str, host: str, hours: float, status: str = "SUCCEEDED") -> dict:
    return execution(UNDO_MACHINE, name, hours=hours, status=status, given={"host": host})


def teardown(sfn: Workflows, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["teardown", *args], connect=connected(sfn), console=make_console(out))
    return code, out.getvalue()


HISTORY = [
    setup("a-1", "a.example.com", 0), undo("a-undo", "a.example.com", 1),  # set up, then undone
    setup("b-1", "b.example.com", 0), undo("b-undo", "b.example.com", 1), setup("b-2", "b.example.com", 2),
    setup("c-1", "c.example.com", 0, dns={"hostedZoneId": ZONE}), setup("c-2", "c.example.com", 3),
    undo("c-undo", "c.example.com", 4, status="FAILED"),  # a failed undo undoes nothing
    execution(MACHINE, "d-1", hours=0, status="FAILED", given={"host": "d.example.com"}),  # never set up
    # a run on the stack's host: no host in its input; the output names what it made
    execution(MACHINE, "e-1", hours=5, output={"verification": {"serverName": "e.example.com"},
                                               "ingress": {"namespace": "vector", "name": "e-ingress"},
                                               "service": {"name": "e-proxy"}}),
]


def test_teardown_lists_the_latest_setup_of_each_host_no_successful_undo_followed_and_how_to_undo_it():
    # Given setups and undos of five hosts
    sfn = Workflows(HISTORY)
    # When teardown lists what is live
    code, text = teardown(sfn, "--output", "json")
    # Then b (set up again after its undo), c (its undo failed) and e are live, each with its latest setup's undo
    document = json.loads(text)
    assert code == 1 and document["readyToDestroy"] is False and sfn.started == []
    assert [(s["host"], s["setupExecutionArn"].rsplit(":", 1)[1], s["undoInput"])
            for s in document["liveSetups"]] == [
        ("b.example.com", "b-2", {"host": "b.example.com", "namespace": "milvus", "serviceName": "milvus-proxy"}),
        ("c.example.com", "c-2", {"host": "c.example.com", "namespace": "milvus", "serviceName": "milvus-proxy"}),
        ("e.example.com", "e-1", {"host": "e.example.com", "namespace": "vector", "serviceName": "e-proxy",
                                  "ingressName": "e-ingress"}),
    ]


def test_the_text_names_each_undo_command_and_what_stays_without_it():
    code, text = teardown(Workflows(HISTORY[:2] + [setup("c-1", "c.example.com", 0, dns={"hostedZoneId": ZONE})]))
    lines = text.splitlines()
    assert code == 1
    assert ("  undo it: python -m layer7ctl undo --host c.example.com --namespace milvus --service-name "
            f"milvus-proxy --hosted-zone-id {ZONE} --follow") in lines
    assert "a.example.com" not in text
    assert "then run `python -m layer7ctl teardown --start`" in text and "the ACM certificate it imported" in text


def test_teardown_start_runs_each_undo_with_the_shared_fields_then_says_destroy(tmp_path):
    # Given two live setups, and the fields every undo takes in this place (plain gRPC to the Layer-4 balancer)
    sfn = Workflows(HISTORY)
    shared = tmp_path / "undo.json"
    shared.write_text(json.dumps({"layer4Verify": {"tls": False, "port": 19530}}))
    # When teardown --start runs
    code, text = teardown(sfn, "--start", "--input", str(shared))
    # Then each live setup's undo ran with its own identifying fields and the shared ones, and destroy is next
    assert [(s["stateMachineArn"], s["input"]["host"], s["input"]["layer4Verify"]) for s in sfn.started] == [
        (UNDO_MACHINE, host, {"tls": False, "port": 19530})
        for host in ("b.example.com", "c.example.com", "e.example.com")]
    assert code == 0 and text.splitlines()[-1].startswith("then: cdk destroy")
    # and a second teardown finds nothing live
    assert teardown(sfn) == (0, "no live setups: no undo is needed\nthen: cdk destroy (with the context the stack "
                                "was deployed with, and its stack name)\n")


def test_a_failed_undo_or_a_running_run_keeps_destroy_off():
    failing = Workflows(HISTORY, undo_status="FAILED")
    code, text = teardown(failing, "--start")
    assert code == 1 and "cdk destroy" not in text and "undo of b.example.com: FAILED" in text
    running = Workflows([*HISTORY, execution(MACHINE, "f-1", hours=6, status="RUNNING")])
    code, text = teardown(running, "--start")
    assert code == 1 and running.started == [] and "running: setup" in text


def test_a_setup_that_ended_after_a_step_that_writes_is_live_and_one_that_ended_before_is_not():
    # Given g: its only setup stopped at CheckLoadBalancer (the certificate and Ingress made); h: failed at
    # Validate (nothing made); i: set up, then a rerun stopped before writing (the first setup's work stands)
    stopped = {**setup("g-1", "g.example.com", 0), "status": "ABORTED",
               "states": ["Validate", "ReadSetupRecord", "ImportCertificate", "ApplyIngress", "CheckLoadBalancer"]}
    refused = {**setup("h-1", "h.example.com", 0), "status": "FAILED"}
    rerun = {**setup("i-2", "i.example.com", 2), "status": "ABORTED", "states": ["Validate", "ReadSetupRecord"]}
    sfn = Workflows([stopped, refused, setup("i-1", "i.example.com", 1), rerun])
    # When teardown lists what is live
    code, text = teardown(sfn, "--output", "json")
    # Then g (with how it ended) and i (its successful setup) are, h is not
    live = json.loads(text)["liveSetups"]
    assert code == 1
    assert [(s["host"], s["setupExecutionArn"].rsplit(":", 1)[1], s["status"]) for s in live] == [
        ("g.example.com", "g-1", "ABORTED"), ("i.example.com", "i-1", "SUCCEEDED")]
    assert "ABORTED after a step that writes" in teardown(sfn)[1]

