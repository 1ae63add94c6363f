"""The sandbox's EventBridge Scheduler (sandbox/aws/schedules.py): a stack's schedule is deployed into moto's
Scheduler, and a firing starts its state machine with its input, as its execution role."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from sandbox.aws import schedules

ACCOUNT, REGION = "123456789012", "us-east-1"
SCHEDULER_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def template(*, grant: bool = True, state: str = "ENABLED") -> dict[str, Any]:
    """A schedule starting a one-state machine every hour with input {"check": "<scheduled-time>"}."""
    resources: dict[str, Any] = {
        "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "StateMachineName": "Drift", "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/any",
            "DefinitionString": json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": SCHEDULER_TRUST}},
        "Schedule": {"Type": "AWS::Scheduler::Schedule", "Properties": {
            "Name": "DriftCheck", "ScheduleExpression": "rate(1 hour)", "State": state,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {"Arn": {"Ref": "Machine"}, "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                       "Input": '{"check": "<aws.scheduler.scheduled-time>"}'}}},
    }
    if grant:
        resources["Grant"] = {"Type": "AWS::IAM::Policy", "Properties": {
            "PolicyName": "start", "Roles": [{"Ref": "Role"}], "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "states:StartExecution", "Resource": {"Ref": "Machine"}}]}}}
    return {"Resources": resources, "Outputs": {"Schedule": {"Value": {"Ref": "Schedule"}}}}


@pytest.fixture
def aws():
    schedules.install()
    with mock_aws():
        yield


def deploy(body: dict[str, Any]) -> None:
    boto3.client("cloudformation", region_name=REGION).create_stack(StackName="s", TemplateBody=json.dumps(body))


def test_a_deployed_schedule_is_in_the_scheduler_api_and_its_firing_starts_its_state_machine_with_its_input(aws):
    # Given a stack with a schedule whose role may start its state machine
    deploy(template())
    [listed] = boto3.client("scheduler", region_name=REGION).list_schedules()["Schedules"]
    assert (listed["Name"], listed["State"]) == ("DriftCheck", "ENABLED")
    # When the sandbox fires the schedules
    [execution_arn] = schedules.run_schedules(ACCOUNT, REGION)
    # Then one execution started, with the target's input and its context attribute filled in
    sfn = boto3.client("stepfunctions", region_name=REGION)
    given = json.loads(sfn.describe_execution(executionArn=execution_arn)["input"])
    assert list(given) == ["check"] and given["check"].endswith("Z") and "<aws" not in given["check"]


def test_a_disabled_schedule_fires_nothing(aws):
    deploy(template(state="DISABLED"))
    assert schedules.run_schedules(ACCOUNT, REGION) == []


def test_a_role_that_may_not_start_the_state_machine_starts_nothing(aws):
    deploy(template(grant=False))
    with pytest.raises(PermissionError, match="may not states:StartExecution on arn:aws:states:"):
        schedules.run_schedules(ACCOUNT, REGION)
