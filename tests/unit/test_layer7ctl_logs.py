"""``layer7ctl logs``: one run's lines from each of the stack's function log groups, found by its execution ARN."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from layer7ctl.__main__ import main
from layer7ctl.clients import Clients
from tests.unit.test_layer7ctl import EXECUTION, T0, ScriptedStepFunctions

OTHER_RUN = EXECUTION.replace("run-1", "run-2")
GROUPS = {"MilvusLayer7-StepsValidateLogs1A2B-x": "MilvusLayer7-Validate",
          "MilvusLayer7-StepsApplyIngressLogs3C4D-y": "MilvusLayer7-ApplyIngress"}


def _ms(seconds: float) -> int:
    return int((T0 + timedelta(seconds=seconds)).timestamp() * 1000)


def _stack_resources():
    client = boto3.client("cloudformation", region_name="us-east-1")
    stubber = Stubber(client)
    summaries = [{"LogicalResourceId": f"L{i}", "PhysicalResourceId": name, "ResourceType": "AWS::Logs::LogGroup",
                  "LastUpdatedTimestamp": T0, "ResourceStatus": "CREATE_COMPLETE"}
                 for i, name in enumerate([*GROUPS, "/aws/vendedlogs/states/MilvusLayer7-Workflow"])]
    summaries.append({"LogicalResourceId": "Fn", "PhysicalResourceId": "MilvusLayer7-Validate",
                      "ResourceType": "AWS::Lambda::Function", "LastUpdatedTimestamp": T0,
                      "ResourceStatus": "CREATE_COMPLETE"})
    stubber.add_response("list_stack_resources", {"StackResourceSummaries": summaries, "NextToken": "2"},
                         {"StackName": "MilvusLayer7"})
    stubber.add_response("list_stack_resources", {"StackResourceSummaries": []},
                         {"StackName": "MilvusLayer7", "NextToken": "2"})
    stubber.activate()
    return client


@pytest.fixture
def logged():
    """Two runs' lines in the functions' groups (JSON, as Powertools writes them), one in the workflow's group."""
    with mock_aws():
        logs = boto3.client("logs", region_name="us-east-1")
        for group in [*GROUPS, "/aws/vendedlogs/states/MilvusLayer7-Workflow"]:
            logs.create_log_group(logGroupName=group)
            logs.create_log_stream(logGroupName=group, logStreamName="s")

        def line(group, at, run, message, level="INFO"):
            record = {"level": level, "message": message, "function_name": GROUPS.get(group, "-"),
                      "correlation_id": run}
            logs.put_log_events(logGroupName=group, logStreamName="s",
                                logEvents=[{"timestamp": _ms(at), "message": json.dumps(record)}])

        validate, apply = GROUPS
        line(validate, 0.5, EXECUTION, "input accepted")
        line(validate, 0.6, OTHER_RUN, "input accepted")
        line(apply, 2.5, EXECUTION, "no Service milvus/milvus-demo", level="ERROR")
        line("/aws/vendedlogs/states/MilvusLayer7-Workflow", 1.0, EXECUTION, "TaskStateEntered")
        yield logs


def test_logs_prints_one_runs_lines_across_its_functions_oldest_first(logged, capsys):
    # Given two runs' lines in two functions' log groups
    clients = Clients(sfn=ScriptedStepFunctions(), cfn=_stack_resources(), region="us-east-1", logs=logged)
    # When one run's logs are asked for
    assert main(["logs", EXECUTION], connect=lambda region, profile: clients) == 0
    # Then its lines are printed from both functions, in time order, and none of the other run's or the workflow's
    assert capsys.readouterr().out.splitlines() == [
        "12:00:00.500  MilvusLayer7-Validate  INFO  input accepted",
        "12:00:02.500  MilvusLayer7-ApplyIngress  ERROR  no Service milvus/milvus-demo"]


def test_logs_output_json_is_each_line_with_its_record(logged, capsys):
    clients = Clients(sfn=ScriptedStepFunctions(), cfn=_stack_resources(), region="us-east-1", logs=logged)
    assert main(["logs", EXECUTION, "--output", "json"], connect=lambda region, profile: clients) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(line["function"], line["level"], line["message"], line["record"]["correlation_id"]) for line in out] == [
        ("MilvusLayer7-Validate", "INFO", "input accepted", EXECUTION),
        ("MilvusLayer7-ApplyIngress", "ERROR", "no Service milvus/milvus-demo", EXECUTION)]
