"""layer7ctl against one of several stacks in an account and region (context stackName, issue 23).

The stack is picked by name (--stack-name before or after the command, else $MILVUS_LAYER7_STACK_NAME, else the
default stack's); everything the command reads comes from that stack: its outputs name the state machines, its
resources the log groups.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from layer7ctl.__main__ import main
from layer7ctl.clients import Clients
from stacks.config import StackConfig
from tests.unit.test_layer7ctl import EXECUTION, MACHINE, T0, ScriptedStepFunctions, cloudformation, connected

DEV = "MilvusLayer7Dev"
DEV_MACHINE = f"arn:aws:states:us-east-1:123456789012:stateMachine:{DEV}-Setup"


def test_a_stack_deployed_with_context_stack_name_is_the_one_layer7ctl_is_given():
    # the stack a deploy with -c stackName=... makes is named exactly that (app.py), which --stack-name then names
    context = {"clusterName": "milvus-eks", "vpcId": "vpc-0123456789abcdef0",
               "privateSubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1", "stackName": DEV}
    assert StackConfig.from_context(context.get).stack_name == DEV


@pytest.mark.parametrize("argv", [
    ["list", "--workflow", "setup", "--stack-name", DEV],  # after the command
    ["--stack-name", DEV, "list", "--workflow", "setup"],  # before it
])
def test_list_reads_the_named_stacks_outputs_and_lists_its_state_machine(argv):
    # Given two stacks; only the one named answers DescribeStacks (the stub expects that StackName)
    sfn = ScriptedStepFunctions()
    cfn = cloudformation(stack=DEV, outputs={"StateMachineArn": DEV_MACHINE, "UndoStateMachineArn": "arn:undo"})
    # When its setup runs are listed
    assert main(argv, connect=connected(sfn, cfn)) == 0
    # Then its state machine was listed, not the default stack's
    assert [call["stateMachineArn"] for call in sfn.listed] == [DEV_MACHINE] != [MACHINE]


def test_logs_reads_the_log_groups_of_the_named_stack(monkeypatch):
    # Given the stack named by the environment variable, whose resources are asked for by that name
    monkeypatch.setenv("MILVUS_LAYER7_STACK_NAME", DEV)
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    stubber = Stubber(cfn)
    stubber.add_response("list_stack_resources", {"StackResourceSummaries": [
        {"LogicalResourceId": "L", "PhysicalResourceId": f"{DEV}-StepsValidateLogs-x",
         "ResourceType": "AWS::Logs::LogGroup", "LastUpdatedTimestamp": T0, "ResourceStatus": "CREATE_COMPLETE"}]},
        {"StackName": DEV})
    stubber.activate()
    searched = []

    class Logs:
        def filter_log_events(self, **kwargs):
            searched.append(kwargs["logGroupName"])
            return {"events": []}

    clients = Clients(sfn=ScriptedStepFunctions(), cfn=cfn, region="us-east-1", logs=Logs())
    # When one run's logs are asked for
    assert main(["logs", EXECUTION], connect=lambda region, profile: clients) == 0
    # Then only that stack's log group was searched
    stubber.assert_no_pending_responses()
    assert searched == [f"{DEV}-StepsValidateLogs-x"]
