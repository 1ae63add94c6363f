"""The operator command line, against scripted Step Functions and stubbed CloudFormation clients."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from layer7 import errors
from layer7ctl.__main__ import main
from layer7ctl.clients import Clients, connect_to_aws
from layer7ctl.executions import ExecutionRecord, failed_state_index
from layer7ctl.exits import EXIT_CODES
from layer7ctl.parser import build_parser
from layer7ctl.remedies import REMEDIES
from layer7ctl.state_machines import DEFAULT_STACK_NAME, SETUP, UNDO, stack_output
from layer7ctl.views import LiveStates, make_console, print_result
from stacks.names import STACK_NAME

README = Path(__file__).resolve().parents[2] / "README.md"
T0 = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:StateMachine2E01A3A5-AbCdEf123456"
UNDO_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:UndoStateMachine9F8E7D6C-ZyXwVu654321"
EXECUTION = MACHINE.replace(":stateMachine:", ":execution:") + ":run-1"
OUTPUTS = {"StateMachineArn": MACHINE, "UndoStateMachineArn": UNDO_MACHINE, "DashboardName": "MilvusLayer7"}
SHOWN_ON_FAILURE = ["    0.0 s  Validate", "    1.0 s  ImportCertificate", "    2.0 s  ApplyIngress",
                    "    2.0 s  ApplyIngress  failed", "FAILED in 12.0 s: ServiceNotFound",
                    "cause: no Service milvus/milvus-demo",
                    "what to do: `kubectl -n NS get svc` and fix the input"]


@pytest.fixture(autouse=True)
def _run_as_a_module(monkeypatch):
    """The help names the command as it was run (sys.argv[0]): here as `python -m layer7ctl`, not as pytest."""
    monkeypatch.setattr("sys.argv", ["/venv/lib/python3.11/site-packages/layer7ctl/__main__.py"])


def entered(*names: str) -> list[dict]:
    return [{"timestamp": T0 + timedelta(seconds=i), "type": "TaskStateEntered",
             "stateEnteredEventDetails": {"name": name}} for i, name in enumerate(names)]


def history_page(events: list[dict], *, executionArn: str, maxResults: int = 100, reverseOrder: bool = False,
                 nextToken: str | None = None) -> dict:
    """One page of GetExecutionHistory as AWS answers it: `maxResults` events, a token while more are left."""
    ordered = events[::-1] if reverseOrder else events
    start = int(nextToken or 0)
    page: dict = {"events": ordered[start:start + maxResults]}
    if start + maxResults < len(ordered):
        page["nextToken"] = str(start + maxResults)
    return page


class ScriptedStepFunctions:
    """Answers like Step Functions for one execution that ends (by default FAILED at ApplyIngress)."""

    def __init__(self, status: str = "FAILED", *, cause: str = "no Service milvus/milvus-demo",
                 output: dict | None = None, events: list[dict] | None = None,
                 executions: list[dict] | None = None, undo_executions: list[dict] | None = None) -> None:
        self.started: list[dict] = []
        self.listed: list[dict] = []
        self.status, self.cause = status, cause
        self.output = output or {"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}
        self.events = entered("Validate", "ImportCertificate", "ApplyIngress") if events is None else events
        self.executions = executions if executions is not None else [
            {"name": "old", "status": "SUCCEEDED", "startDate": T0 - timedelta(hours=1),
             "stopDate": T0 - timedelta(hours=1) + timedelta(seconds=95), "executionArn": EXECUTION + "-old"},
            {"name": "run-1", "status": "FAILED", "startDate": T0, "stopDate": T0 + timedelta(seconds=12),
             "executionArn": EXECUTION}]
        self.undo_executions = undo_executions or []
        self.stopped: list[dict] = []

    def start_execution(self, **kwargs):
        self.started.append(kwargs)
        return {"executionArn": EXECUTION}

    def describe_execution(self, executionArn):
        answer = {"executionArn": executionArn, "status": self.status, "startDate": T0,
                  "stopDate": T0 + timedelta(seconds=12)}
        if self.status == "SUCCEEDED":
            answer["output"] = json.dumps(self.output)
        elif self.status == "FAILED":
            answer.update(error="ServiceNotFound", cause=self.cause)
        return answer

    def get_execution_history(self, **kwargs):
        return history_page([{"id": i, **event} for i, event in enumerate(self.events, 1)], **kwargs)

    def list_executions(self, **kwargs):
        self.listed.append(kwargs)
        executions = self.undo_executions if kwargs["stateMachineArn"] == UNDO_MACHINE else self.executions
        wanted = [e for e in executions if kwargs.get("statusFilter") in (None, e["status"])]
        return {"executions": wanted[:kwargs["maxResults"]]}

    def stop_execution(self, **kwargs):
        self.stopped.append(kwargs)
        return {"stopDate": T0 + timedelta(seconds=30)}


class NoCalls:
    """A client that must not be used."""

    def __getattr__(self, name):
        raise AssertionError(f"unexpected call: {name}")


def cloudformation(region: str = "us-east-1", outputs: dict[str, str] | None = None,
                   stack: str = DEFAULT_STACK_NAME, status: str = "CREATE_COMPLETE"):
    """A real CloudFormation client whose one DescribeStacks call is answered by a Stubber."""
    client = boto3.client("cloudformation", region_name=region)
    stubber = Stubber(client)
    answered = OUTPUTS if outputs is None else outputs
    listed = [{"OutputKey": key, "OutputValue": value} for key, value in answered.items()]
    stubber.add_response("describe_stacks", {"Stacks": [
        {"StackName": stack, "CreationTime": T0, "StackStatus": status, "Outputs": listed}]}, {"StackName": stack})
    stubber.activate()
    return client


def missing_stack(region: str = "us-east-1", stack: str = DEFAULT_STACK_NAME):
    client = boto3.client("cloudformation", region_name=region)
    stubber = Stubber(client)
    stubber.add_client_error("describe_stacks", service_error_code="ValidationError",
                             service_message=f"Stack with id {stack} does not exist", http_status_code=400,
                             expected_params={"StackName": stack})
    stubber.activate()
    return client


def step_functions_refusing(operation: str, code: str, message: str, params: dict):
    """A real Step Functions client whose one call fails as AWS would answer."""
    client = boto3.client("stepfunctions", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_client_error(operation, service_error_code=code, service_message=message, http_status_code=400,
                             expected_params=params)
    stubber.activate()
    return client


def connected(sfn, cfn=None):
    return lambda region, profile=None: Clients(sfn=sfn, cfn=cloudformation() if cfn is None else cfn,
                                  region=region or "us-east-1")


def _table_rows(text: str) -> list[list[str]]:
    """The cells of each body row of a table rich drew."""
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in text.splitlines() if line.startswith("│")]


def _rendered(live: LiveStates) -> list[list[str]]:
    out = io.StringIO()
    make_console(out).print(live.table())
    return _table_rows(out.getvalue())


# --- finding the workflow ---------------------------------------------------------------------------


def test_the_setup_workflow_is_the_stacks_StateMachineArn_output():  # noqa: N802 - the output's name
    # Given a stack whose outputs name both workflows
    # When the setup workflow is looked up
    # Then it is the StateMachineArn output, and undo's is UndoStateMachineArn
    assert stack_output(cloudformation(), SETUP, stack="MilvusLayer7", region="us-east-1") == MACHINE
    assert stack_output(cloudformation(), UNDO, stack="MilvusLayer7", region="us-east-1") == UNDO_MACHINE


def test_an_output_key_with_a_suffix_is_found():
    # Given output keys as CDK writes them from inside a construct
    cfn = cloudformation(outputs={"StateMachineArnC0FFEE12": MACHINE, "UndoStateMachineArn5EED1234": UNDO_MACHINE})
    # When the setup workflow is looked up
    # Then the key that starts with StateMachineArn answers (not UndoStateMachineArn...)
    assert stack_output(cfn, SETUP, stack="MilvusLayer7", region="us-east-1") == MACHINE


def test_two_deployments_in_two_regions_are_each_found_with_region():
    # Given the same stack deployed in us-east-1 and eu-west-1
    europe = MACHINE.replace("us-east-1", "eu-west-1")
    deployments = {region: Clients(sfn=ScriptedStepFunctions(), region=region,
                                   cfn=cloudformation(region, {"StateMachineArn": arn}))
                   for region, arn in (("us-east-1", MACHINE), ("eu-west-1", europe))}
    # When each is listed with its --region
    for region in ("us-east-1", "eu-west-1"):
        assert main(["--region", region, "list", "--workflow", "setup"],
                    connect=lambda region, profile: deployments[region]) == 0
    # Then each listing asked that region's state machine
    assert deployments["us-east-1"].sfn.listed == [{"stateMachineArn": MACHINE, "maxResults": 20}]
    assert deployments["eu-west-1"].sfn.listed == [{"stateMachineArn": europe, "maxResults": 20}]


def test_every_client_is_made_for_the_region_given():
    # Given --region eu-west-1 and an SDK default of us-east-1 (tests/conftest.py)
    # When the clients are made
    clients = connect_to_aws("eu-west-1")
    # Then every one of them talks to eu-west-1
    assert (clients.region, clients.sfn.meta.region_name, clients.cfn.meta.region_name) == ("eu-west-1",) * 3


def test_stack_name_comes_from_the_option_or_the_environment(monkeypatch):
    # Given a stack deployed under another name, named by $MILVUS_LAYER7_STACK_NAME, and another by --stack-name
    monkeypatch.setenv("MILVUS_LAYER7_STACK_NAME", "Layer7Staging")
    from_env, from_option = ScriptedStepFunctions(), ScriptedStepFunctions()
    # When each is listed
    assert main(["list", "--workflow", "setup"],
                connect=connected(from_env, cloudformation(stack="Layer7Staging"))) == 0
    assert main(["--stack-name", "Layer7Prod", "list", "--workflow", "setup"],
                connect=connected(from_option, cloudformation(stack="Layer7Prod"))) == 0
    # Then each stack's outputs were read (the stubs expect those names) and its workflow listed
    assert from_env.listed[0]["stateMachineArn"] == from_option.listed[0]["stateMachineArn"] == MACHINE


def test_the_default_stack_name_is_the_stacks_own():
    assert DEFAULT_STACK_NAME == STACK_NAME


def test_an_explicit_arn_skips_the_stack(monkeypatch):
    # Given an ARN by option, and another by environment variable
    by_option, by_env = ScriptedStepFunctions(), ScriptedStepFunctions()
    # When each is listed with a CloudFormation client that must not be called
    assert main(["--state-machine-arn", "arn:option", "list", "--workflow", "setup"],
                connect=connected(by_option, NoCalls())) == 0
    monkeypatch.setenv("MILVUS_LAYER7_STATE_MACHINE_ARN", "arn:env")
    assert main(["list", "--workflow", "setup"], connect=connected(by_env, NoCalls())) == 0
    # Then those state machines were listed
    assert (by_option.listed[0]["stateMachineArn"], by_env.listed[0]["stateMachineArn"]) == ("arn:option", "arn:env")


def test_a_missing_stack_is_one_line_naming_stack_region_and_what_to_pass(capsys):
    # Given no stack MilvusLayer7 in eu-west-1
    # When a run is started there
    code = main(["--region", "eu-west-1", "start", "--host", "h"],
                connect=connected(ScriptedStepFunctions(), missing_stack("eu-west-1")))
    # Then it says so in one line and exits 2
    assert code == 2
    assert capsys.readouterr().err == (
        "error: no stack MilvusLayer7 in eu-west-1: pass --stack-name and --region of the deployment, "
        "or --state-machine-arn / $MILVUS_LAYER7_STATE_MACHINE_ARN\n")


def test_a_stack_without_the_undo_output_is_one_line(capsys):
    # Given a stack deployed before the undo workflow existed
    cfn = cloudformation(outputs={"StateMachineArn": MACHINE})
    # When undo is started
    code = main(["undo", "--host", "h"], connect=connected(ScriptedStepFunctions(), cfn))
    # Then it says which output is missing and what to do, and exits 2
    assert code == 2
    assert capsys.readouterr().err == (
        "error: stack MilvusLayer7 in us-east-1 (CREATE_COMPLETE) has no output UndoStateMachineArn (the undo "
        "workflow): deploy a version that has it, or pass --stack-name and --region of the deployment, "
        "or --undo-state-machine-arn / $MILVUS_LAYER7_UNDO_STATE_MACHINE_ARN\n")


# --- start, undo, follow, list ----------------------------------------------------------------------


def test_start_with_flags_starts_the_stacks_workflow_and_follows(capsys):
    # Given a workflow that fails at ApplyIngress
    sfn = ScriptedStepFunctions()
    # When it is started with flags and followed
    code = main(["start", "--host", "milvus.example.com", "--secret-arn", "arn:s", "--follow"], connect=connected(sfn))
    # Then the input is built from the flags, the states are shown, the failed one marked, and it exits 1
    assert code == 1
    assert sfn.started == [{"stateMachineArn": MACHINE, "input": json.dumps(
        {"host": "milvus.example.com", "certificate": {"secretArn": "arn:s"}})}]
    assert capsys.readouterr().out.splitlines() == [f"started {EXECUTION}", *SHOWN_ON_FAILURE]


def test_start_flags_override_the_input_file(tmp_path):
    # Given an input file
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"host": "old.example.com", "namespace": "milvus",
                                "certificate": {"secretArn": "arn:old"}}))
    sfn = ScriptedStepFunctions()
    # When it is started with a flag for the same fields
    code = main(["start", "--input", str(path), "--host", "new.example.com", "--certificate-arn", "arn:acm",
                 "--layer4", "keep", "--name", "n1"], connect=connected(sfn))
    # Then the flags win, the file's other fields stay, and it exits 0 without following
    assert code == 0
    assert sfn.started == [{"stateMachineArn": MACHINE, "name": "n1", "input": json.dumps(
        {"host": "new.example.com", "namespace": "milvus", "certificate": {"certificateArn": "arn:acm"},
         "layer4": "keep"})}]


def test_undo_starts_the_undo_workflow_with_its_flags(tmp_path, capsys):
    # Given an undo input file with a DNS block
    path = tmp_path / "undo.json"
    path.write_text(json.dumps({"host": "milvus.example.com", "dns": {"hostedZoneId": "Zold", "extra": 1}}))
    sfn = ScriptedStepFunctions(status="SUCCEEDED", output={"removed": True})
    # When undo is started with every flag and followed
    code = main(["undo", "--input", str(path), "--cluster-name", "milvus-eks", "--namespace", "ns",
                 "--service-name", "svc", "--ingress-name", "ing", "--hosted-zone-id", "Z123", "--name", "u1",
                 "--follow"], connect=connected(sfn))
    # Then the undo workflow got the merged input, the live view ran, and it exits 0
    assert code == 0
    assert sfn.started == [{"stateMachineArn": UNDO_MACHINE, "name": "u1", "input": json.dumps(
        {"host": "milvus.example.com", "dns": {"hostedZoneId": "Z123", "extra": 1}, "clusterName": "milvus-eks",
         "namespace": "ns", "serviceName": "svc", "ingressName": "ing"})}]
    assert capsys.readouterr().out.splitlines() == [
        f"started {EXECUTION}", "    0.0 s  Validate", "    1.0 s  ImportCertificate", "    2.0 s  ApplyIngress",
        "SUCCEEDED in 12.0 s", "{", '  "removed": true', "}"]


def test_undo_never_starts_the_setup_workflow_named_by_the_environment(monkeypatch):
    # Given a shell with the setup workflow's ARN exported (as `python -m sandbox serve` prints)
    monkeypatch.setenv("MILVUS_LAYER7_STATE_MACHINE_ARN", MACHINE)
    sfn = ScriptedStepFunctions()
    # When undo is started
    assert main(["undo", "--hosted-zone-id", "Z1"], connect=connected(sfn)) == 0
    # Then it is the undo workflow that runs
    assert sfn.started == [{"stateMachineArn": UNDO_MACHINE, "input": '{"dns": {"hostedZoneId": "Z1"}}'}]


def test_follow_success_prints_the_output(capsys):
    code = main(["follow", EXECUTION], connect=connected(ScriptedStepFunctions(status="SUCCEEDED"), NoCalls()))
    assert code == 0
    assert capsys.readouterr().out.splitlines()[-4:] == [
        "SUCCEEDED in 12.0 s", "{", '  "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"', "}"]


def test_follow_without_an_arn_follows_the_newest_execution(capsys):
    sfn = ScriptedStepFunctions(executions=[{"executionArn": EXECUTION, "name": "run-1", "status": "FAILED",
                                             "startDate": T0}])
    assert main(["follow"], connect=connected(sfn)) == 1
    assert sfn.listed == [{"stateMachineArn": MACHINE, "maxResults": 1}]
    assert capsys.readouterr().out.splitlines() == SHOWN_ON_FAILURE


UNDONE = {"name": "undo-1", "status": "SUCCEEDED", "startDate": T0 + timedelta(minutes=5),
          "stopDate": T0 + timedelta(minutes=5, seconds=40), "executionArn": EXECUTION + "-undo"}


def test_list_shows_both_workflows_with_status_and_duration_newest_first(capsys):
    assert main(["list"], connect=connected(ScriptedStepFunctions(undo_executions=[UNDONE]))) == 0
    assert _table_rows(capsys.readouterr().out) == [
        ["undo-1", "undo", "SUCCEEDED", "2026-11-26 12:05:00", "40.0 s"],
        ["run-1", "setup", "FAILED", "2026-11-26 12:00:00", "12.0 s"],
        ["old", "setup", "SUCCEEDED", "2026-11-26 11:00:00", "95.0 s"]]


def test_list_status_is_asked_of_both_workflows_and_max_holds_for_the_two_together(capsys):
    # Given a succeeded setup, a failed one and a succeeded undo
    sfn = ScriptedStepFunctions(undo_executions=[UNDONE])
    # When the one newest SUCCEEDED is listed, as JSON, with the options after the command
    assert main(["list", "--status", "SUCCEEDED", "--max", "1", "--output", "json"], connect=connected(sfn)) == 0
    # Then each workflow was asked for SUCCEEDED runs, and the newest of all is printed
    assert sfn.listed == [{"stateMachineArn": MACHINE, "maxResults": 1, "statusFilter": "SUCCEEDED"},
                          {"stateMachineArn": UNDO_MACHINE, "maxResults": 1, "statusFilter": "SUCCEEDED"}]
    assert json.loads(capsys.readouterr().out) == [{
        "executionArn": EXECUTION + "-undo", "name": "undo-1", "workflow": "undo", "status": "SUCCEEDED",
        "startDate": "2026-11-26T12:05:00+00:00", "stopDate": "2026-11-26T12:05:40+00:00", "seconds": 40.0}]


def test_list_host_keeps_the_runs_whose_input_or_verified_output_names_it(capsys):
    # Given runs for two hosts: one named in its input, one on the stack's host (only its output names it)
    inputs = {EXECUTION: {"host": "a.example.com"}, EXECUTION + "-old": {}}
    outputs = {EXECUTION + "-old": {"verification": {"serverName": "b.example.com"}}}

    class ByRun(ScriptedStepFunctions):
        def describe_execution(self, executionArn):
            return {**super().describe_execution(executionArn), "input": json.dumps(inputs[executionArn]),
                    "output": json.dumps(outputs.get(executionArn, {}))}

    # When each host's runs are listed
    found = {}
    for host in ("a.example.com", "b.example.com", "c.example.com"):
        assert main(["list", "--host", host, "--output", "json", "--workflow", "setup"],
                    connect=connected(ByRun())) == 0
        found[host] = [run["name"] for run in json.loads(capsys.readouterr().out)]
    # Then each has its own
    assert found == {"a.example.com": ["run-1"], "b.example.com": ["old"], "c.example.com": []}


def test_list_with_no_executions_says_so(capsys):
    assert main(["list", "--status", "RUNNING"], connect=connected(ScriptedStepFunctions(executions=[]))) == 0
    assert capsys.readouterr().out == "no executions RUNNING of the setup or undo workflows\n"


def test_describe_prints_one_execution_with_its_remedy(capsys):
    # Given a failed run
    # When it is described, as text then as JSON
    assert main(["describe", EXECUTION], connect=connected(ScriptedStepFunctions(), NoCalls())) == 0
    text = capsys.readouterr().out.splitlines()
    assert main(["describe", EXECUTION, "--output", "json"], connect=connected(ScriptedStepFunctions(), NoCalls())) == 0
    # Then both say its status, times, error, cause and what to do
    assert text == [f"executionArn    {EXECUTION}", "status          FAILED",
                    "startDate       2026-11-26T12:00:00+00:00",
                    "stopDate        2026-11-26T12:00:12+00:00", "seconds         12.0",
                    "error           ServiceNotFound", "cause           no Service milvus/milvus-demo",
                    "whatToDo        `kubectl -n NS get svc` and fix the input"]
    assert json.loads(capsys.readouterr().out) == {
        "executionArn": EXECUTION, "name": None, "stateMachineArn": None, "status": "FAILED",
        "startDate": "2026-11-26T12:00:00+00:00", "stopDate": "2026-11-26T12:00:12+00:00", "seconds": 12.0,
        "input": None, "output": None, "error": "ServiceNotFound", "cause": "no Service milvus/milvus-demo",
        "whatToDo": "`kubectl -n NS get svc` and fix the input"}


def test_stop_stops_a_running_execution_with_its_cause(capsys):
    sfn = ScriptedStepFunctions(status="RUNNING")
    assert main(["stop", EXECUTION, "--cause", "wrong host", "--output", "json"],
                connect=connected(sfn, NoCalls())) == 0
    assert sfn.stopped == [{"executionArn": EXECUTION, "cause": "wrong host"}]
    assert json.loads(capsys.readouterr().out) == {"executionArn": EXECUTION,
                                                   "stopDate": "2026-11-26T12:00:30+00:00"}


def test_stop_of_an_execution_that_ended_is_one_line_and_exit_2(capsys):
    sfn = ScriptedStepFunctions(status="SUCCEEDED")
    assert main(["stop", EXECUTION], connect=connected(sfn, NoCalls())) == 2
    assert sfn.stopped == []
    assert capsys.readouterr().err == f"error: {EXECUTION} already ended SUCCEEDED: nothing to stop\n"


# --- the failed state ---------------------------------------------------------------------------------


def test_the_live_table_marks_the_failed_state():
    # Given a live view that saw three states of a run that failed in the last one
    console = make_console(io.StringIO())
    live = LiveStates(console)
    for name, elapsed in (("Validate", 0.0), ("ImportCertificate", 1.0), ("ApplyIngress", 2.0)):
        live.entered(name, elapsed)
    running = _rendered(live)[-1]
    record = ExecutionRecord(EXECUTION, 0.0, status="FAILED", error="ServiceNotFound",
                             history=entered("Validate", "ImportCertificate", "ApplyIngress"))
    # When the run ends
    live.finished(record)
    # Then the running state was marked with >, and now the last one is marked failed, the others ok
    assert running == ["2.0 s", "> ApplyIngress"]
    assert _rendered(live) == [["0.0 s", "ok Validate"], ["1.0 s", "ok ImportCertificate"],
                               ["2.0 s", "failed ApplyIngress"]]


@pytest.mark.parametrize("status", ["TIMED_OUT", "ABORTED"])
def test_a_run_that_timed_out_or_was_aborted_failed_in_the_last_state_entered(status):
    record = ExecutionRecord(EXECUTION, 0.0, status=status, history=entered("Validate", "WaitForLoadBalancer"))
    assert failed_state_index(record) == 1


def test_a_caught_error_failed_in_the_state_that_raised_it_not_in_the_failure_path():
    # Given ApplyIngress raised ServiceNotFound, caught into ExplainFailure ... Failed
    events = entered("Validate", "ApplyIngress", "ExplainFailure", "PublishFailed", "Failed")
    events.insert(2, {"type": "LambdaFunctionFailed", "lambdaFunctionFailedEventDetails": {
        "error": "ServiceNotFound", "cause": "{}"}})
    events.append({"type": "ExecutionFailed", "executionFailedEventDetails": {"error": "ServiceNotFound"}})
    record = ExecutionRecord(EXECUTION, 0.0, status="FAILED", error="ServiceNotFound", history=events)
    # When the failed state is looked for
    # Then it is ApplyIngress
    assert failed_state_index(record) == 1


def test_a_succeeded_run_has_no_failed_state():
    assert failed_state_index(ExecutionRecord(EXECUTION, 0.0, status="SUCCEEDED", history=entered("Validate"))) is None


# --- printed as they are ------------------------------------------------------------------------------

UNTRUSTED = "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-layer7/x [red]a[/x]b.example.com :smile:"


def test_causes_are_printed_verbatim(capsys):
    # Given a cause with an ARN's :secret:, markup-like brackets and an emoji code
    sfn = ScriptedStepFunctions(cause=UNTRUSTED, events=entered("[red]Validate[/x]"))
    # When the run is followed
    assert main(["follow", EXECUTION], connect=connected(sfn, NoCalls())) == 1
    # Then the cause and the state name are printed exactly as they came
    assert capsys.readouterr().out.splitlines()[:3] == [
        "    0.0 s  [red]Validate[/x]", "    0.0 s  [red]Validate[/x]  failed", "FAILED in 12.0 s: ServiceNotFound"]
    record = ExecutionRecord(EXECUTION, 0.0, status="FAILED", error="[bold]E:smile:", cause=UNTRUSTED)
    out = io.StringIO()
    print_result(make_console(out), record)
    assert out.getvalue().splitlines()[:2] == ["FAILED in 0.0 s: [bold]E:smile:", f"cause: {UNTRUSTED}"]


def test_outputs_and_hosts_are_printed_verbatim(capsys):
    # Given an output holding the same kind of text
    output = {"host": "a[/x]b.example.com", "secret": UNTRUSTED, "note": "[red]kept[/red] :smile:"}
    sfn = ScriptedStepFunctions(status="SUCCEEDED", output=output)
    # When it is followed
    assert main(["follow", EXECUTION], connect=connected(sfn, NoCalls())) == 0
    # Then the JSON printed reads back to the same output
    out = capsys.readouterr().out
    assert json.loads(out[out.index("{"):]) == output


def test_the_live_table_shows_names_verbatim():
    live = LiveStates(make_console(io.StringIO()))
    live.entered("a[/x]b:smile:", 0.0)
    assert _rendered(live) == [["0.0 s", "> a[/x]b:smile:"]]


# --- expected failures: one line, a distinct exit code ------------------------------------------------


def test_no_region_is_one_line_and_exit_3(monkeypatch, tmp_path, capsys):
    # Given no region anywhere the SDK looks
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    # When any command runs against AWS
    # Then it says what to set
    assert main(["list"]) == 3
    assert capsys.readouterr().err == "error: no AWS region configured: pass --region or set AWS_REGION\n"


def test_no_credentials_is_one_line_and_exit_3(monkeypatch, tmp_path, capsys):
    # Given no credentials anywhere the SDK looks (and no instance metadata to ask)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # When a call is made
    assert main(["--state-machine-arn", MACHINE, "list"]) == 3
    # Then it says how to get some
    assert capsys.readouterr().err == (
        "error: Unable to locate credentials: set AWS_PROFILE, run `aws configure` or `aws sso login`\n")


@pytest.mark.parametrize(("code", "message", "expected"), [
    ("ExecutionDoesNotExist", f"Execution Does Not Exist: '{EXECUTION}x'",
     f"error: DescribeExecution: ExecutionDoesNotExist: Execution Does Not Exist: '{EXECUTION}x' -- no such "
     "execution in us-east-1: pass an execution ARN from `python -m layer7ctl list` (and --region)\n"),
    ("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: stateMachine'",
     "error: DescribeExecution: InvalidArn: Invalid Arn: 'Resource type not valid in this context: stateMachine' "
     "-- that is not an execution ARN: pass an execution ARN from `python -m layer7ctl list`\n"),
])
def test_follow_of_an_unknown_or_malformed_execution_is_one_line_and_exit_2(code, message, expected, capsys):
    sfn = step_functions_refusing("describe_execution", code, message, {"executionArn": EXECUTION + "x"})
    assert main(["follow", EXECUTION + "x"], connect=connected(sfn, NoCalls())) == 2
    assert capsys.readouterr().err == expected


@pytest.mark.parametrize(("code", "expected"), [
    ("StateMachineDoesNotExist", "no such state machine in us-east-1"),
    ("InvalidArn", "that is not a state machine ARN"),
])
def test_a_wrong_state_machine_arn_is_one_line_and_exit_2(code, expected, capsys):
    sfn = step_functions_refusing("list_executions", code, "Bad: 'arn:wrong'",
                                  {"stateMachineArn": "arn:wrong", "maxResults": 20})
    assert main(["--state-machine-arn", "arn:wrong", "list", "--workflow", "setup"],
                connect=connected(sfn, NoCalls())) == 2
    assert capsys.readouterr().err == (
        f"error: ListExecutions: {code}: Bad: 'arn:wrong' -- {expected}: check --state-machine-arn / "
        "--undo-state-machine-arn and their environment variables, or leave them out to read the stack's outputs\n")


@pytest.mark.parametrize(("code", "expected"), [
    ("AccessDeniedException", "access denied: use credentials whose IAM policy allows it"),
    ("ThrottlingException", "AWS is throttling these calls: try again in a minute"),
    ("InternalFailure", "AWS refused the call in us-east-1"),
])
def test_aws_refusing_is_one_line_and_exit_3(code, expected, capsys):
    sfn = step_functions_refusing("list_executions", code, "no.", {"stateMachineArn": MACHINE, "maxResults": 20})
    assert main(["--state-machine-arn", MACHINE, "list", "--workflow", "setup"], connect=connected(sfn, NoCalls())) == 3
    assert capsys.readouterr().err == f"error: ListExecutions: {code}: no. -- {expected}\n"


def test_an_unreachable_endpoint_is_one_line_and_exit_3(capsys):
    class Unreachable:
        def list_executions(self, **kwargs):
            raise EndpointConnectionError(endpoint_url="http://localhost:5000/")

    assert main(["list", "--workflow", "setup", "--state-machine-arn", MACHINE],
                connect=connected(Unreachable(), NoCalls())) == 3
    assert capsys.readouterr().err == ('error: Could not connect to the endpoint URL: "http://localhost:5000/": '
                                       "check the network, --region and AWS_ENDPOINT_URL\n")


def test_follow_with_no_executions_yet_is_one_line_and_exit_2(capsys):
    assert main(["follow"], connect=connected(ScriptedStepFunctions(executions=[]))) == 2
    assert capsys.readouterr().err == (f"error: no executions yet of {MACHINE}: start one with "
                                       "`python -m layer7ctl start`, or pass an execution ARN\n")


@pytest.mark.parametrize(("content", "expected"), [
    (None, "cannot read --input {path}: No such file or directory: pass a readable JSON file"),
    ("{host: x}", "--input {path} is not JSON (Expecting property name enclosed in double quotes: line 1 "
                  "column 2 (char 1)): fix the file"),
    ('["host"]', '--input {path} holds an array, not a JSON object: write the input as {{"field": value, ...}} '
                 "(docs/CONTRACT.md)"),
])
@pytest.mark.parametrize("command", ["start", "undo"])
def test_a_bad_input_file_is_one_line_and_exit_2_before_any_aws_call(command, content, expected, tmp_path, capsys):
    path = tmp_path / "input.json"
    if content is not None:
        path.write_text(content)
    assert main([command, "--input", str(path)], connect=NoCalls()) == 2
    assert capsys.readouterr().err == f"error: {expected.format(path=path)}\n"


@pytest.mark.parametrize("value", ["-1", "0", "1001", "ten"])
def test_list_max_out_of_range_is_refused_by_argparse(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["list", "--max", value], connect=NoCalls())
    assert exit_info.value.code == 2
    reason = "'ten' is not a whole number" if value == "ten" else f"{value} is out of range: pass 1 to 1000"
    assert capsys.readouterr().err == (f"python -m layer7ctl list: error: argument --max: {reason} "
                                       "(see python -m layer7ctl list --help)\n")


def test_list_max_1000_is_asked_for_as_it_is():
    sfn = ScriptedStepFunctions()
    assert main(["list", "--max", "1000"], connect=connected(sfn)) == 0
    assert sfn.listed == [{"stateMachineArn": MACHINE, "maxResults": 1000},
                          {"stateMachineArn": UNDO_MACHINE, "maxResults": 1000}]


def test_start_refuses_a_secret_and_a_certificate_together(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["start", "--secret-arn", "arn:s", "--certificate-arn", "arn:c"], connect=NoCalls())
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == ("python -m layer7ctl start: error: argument --certificate-arn: not allowed "
                                       "with argument --secret-arn (see python -m layer7ctl start --help)\n")


def test_ctrl_c_while_following_is_one_line_and_exit_130(capsys):
    class Interrupted(ScriptedStepFunctions):
        def get_execution_history(self, **kwargs):
            raise KeyboardInterrupt

    assert main(["follow", EXECUTION], connect=connected(Interrupted(), NoCalls())) == 130
    assert capsys.readouterr().err == ("error: interrupted; an execution already started goes on: "
                                       "`python -m layer7ctl follow EXECUTION_ARN` watches it again\n")


# --- help and the README ------------------------------------------------------------------------------


def _parsers():
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    return {"": parser, **commands.choices}


@pytest.mark.parametrize("command", ["start", "undo", "follow", "list", "describe", "stop", "logs", "status"])
def test_every_subcommand_has_help_with_the_exit_codes(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"], connect=NoCalls())
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m layer7ctl {command}")
    assert [line.split()[0] for line in out.split("exit codes:\n", 1)[1].splitlines() if line[2] != " "] == [
        str(code) for code, _ in EXIT_CODES]


def test_every_option_and_subcommand_has_help_text():
    missing = [f"{name or 'top'}: {action.dest}" for name, parser in _parsers().items()
               for action in parser._actions if not action.help]
    commands = next(a for a in build_parser()._actions if a.dest == "command")
    assert missing == []
    assert [c.dest for c in commands._choices_actions if not c.help] == []


def _readme_section(title: str) -> str:
    return README.read_text().split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_error_table_says_what_the_code_says_row_for_row():
    rows = [m.groups() for m in re.finditer(r"^\| `(\w+)` \| .*? \| (.*) \|$", _readme_section(
        "Errors and what to do"), re.MULTILINE)]
    assert rows == list(REMEDIES.items())


def test_every_contract_error_and_TransientError_has_a_remedy():  # noqa: N802 - the class's name
    assert set(REMEDIES) >= {*errors.CONTRACT_ERROR_NAMES, "TransientError"}
    assert all(REMEDIES.values())


def test_the_readme_lists_the_exit_codes_the_code_uses():
    rows = re.findall(r"^\| `(\d+)` \| (.*) \|$", _readme_section("Watching it: the operator command line"),
                      re.MULTILINE)
    assert rows == [(str(code), meaning) for code, meaning in EXIT_CODES]
