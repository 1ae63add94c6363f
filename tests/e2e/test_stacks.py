"""Two stacks side by side in one account and region (context stackName, issue 23): an event starts only its own.

The session's sandbox holds the default stack (MilvusLayer7); this module deploys a second one beside it, as
``cdk deploy -c stackName=...`` would, without the rules that fire on their own (certificate rotation, the drift
schedule) so that it starts nothing in the journeys after this one. The requests are ones Validate refuses
(an unknown scheme): each run ends at Validate, before anything reaches the cluster, and says which stack's
workflow the rule started.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from sandbox.environment import Sandbox
from stacks.names import DETAIL_TYPE_REQUESTED, EVENT_SOURCE, STACK_NAME
from testkit.executions import wait_ended

pytestmark = pytest.mark.e2e
OTHER = "MilvusLayer7Dev"


@pytest.fixture(scope="module")
def sandbox(fresh_sandbox) -> Iterator[Sandbox]:
    box = fresh_sandbox()
    yield box
    # The second stack goes with the module (cdk destroy's DeleteStack): the journeys after it see one stack.
    cfn = box.aws.client("cloudformation")
    if any(stack["StackName"] == OTHER for stack in cfn.describe_stacks()["Stacks"]):
        cfn.delete_stack(StackName=OTHER)
        rules = box.aws.client("events").list_rules(NamePrefix=f"{OTHER}-")["Rules"]
        assert not rules, f"DeleteStack left {[rule['Name'] for rule in rules]}"


def _executions(box: Sandbox, machine: str) -> set[str]:
    listed = box.aws.client("stepfunctions").list_executions(stateMachineArn=machine, maxResults=1000)
    return {execution["executionArn"] for execution in listed["executions"]}


def _ended(box: Sandbox, arn: str, timeout: float = 60.0) -> dict:
    return wait_ended(box.aws.client("stepfunctions"), arn, timeout)


def test_an_event_for_one_of_two_stacks_starts_only_that_stacks_workflow(sandbox):
    # Given a second stack deployed beside the session's, under another name
    other = sandbox.deploy_stack_named(OTHER, certificateRotation=None, driftCheckSchedule=None)
    machines = {STACK_NAME: sandbox.state_machine_arn, OTHER: other["StateMachineArn"]}
    assert machines[OTHER].endswith(f":stateMachine:{OTHER}-Setup") and machines[OTHER] != machines[STACK_NAME]
    known = {stack: _executions(sandbox, machine) for stack, machine in machines.items()}
    # When a request names the second stack, and then one names none (a caller from before stackName)
    events = sandbox.aws.client("events")
    for detail in ({"stack": OTHER, "scheme": "sideways"}, {"scheme": "sideways"}):
        answer = events.put_events(Entries=[{"Source": EVENT_SOURCE, "DetailType": DETAIL_TYPE_REQUESTED,
                                             "Detail": json.dumps(detail)}])
        assert answer["FailedEntryCount"] == 0
    # Then each stack's workflow started exactly one run: the second stack's for the request naming it,
    # the default stack's for the one naming none
    started = {stack: _executions(sandbox, machine) - known[stack] for stack, machine in machines.items()}
    assert {stack: len(arns) for stack, arns in started.items()} == {STACK_NAME: 1, OTHER: 1}
    sfn = sandbox.aws.client("stepfunctions")
    inputs = {stack: json.loads(sfn.describe_execution(executionArn=arn)["input"])
              for stack, (arn,) in started.items()}
    assert inputs == {OTHER: {"stack": OTHER, "scheme": "sideways"}, STACK_NAME: {"scheme": "sideways"}}
    # And each run took the field as the contract's (routing only) and refused the scheme, before any change
    for stack, (arn,) in started.items():
        ended = _ended(sandbox, arn)
        assert (ended["status"], ended.get("error")) == ("FAILED", "InvalidInput"), stack
        assert "scheme" in ended["cause"] and "'stack'" not in ended["cause"], ended["cause"]
