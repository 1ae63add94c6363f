"""Several stacks per account and region (context stackName): their names and their rules keep apart.

The rules are judged by moto's EventBridge pattern matcher, the one the sandbox delivers events with
(sandbox/aws/events_delivery.py), so this test and the e2e journey read the patterns the same way.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.events.models import EventPattern

from stacks import names
from stacks.config import MAX_STACK_NAME_LENGTH, ConfigError, StackConfig
from tests.infra.conftest import Synth, synthesize

OTHER = "MilvusLayer7Dev"
# Properties that name a resource within an account and region: two stacks must never write the same one.
ACCOUNT_UNIQUE = {"Name", "StateMachineName", "LogGroupName", "AlarmName", "DashboardName", "TableName",
                  "TopicName", "QueueName", "FunctionName", "RoleName", "ScheduleName"}
REQUESTS = (names.DETAIL_TYPE_REQUESTED, names.DETAIL_TYPE_UNDO_REQUESTED)


@pytest.fixture(scope="module")
def other_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Everything the default full synth has (alarms, rotation, drift schedule), under another stack name."""
    from tests.infra.conftest import FULL_CONTEXT
    return synthesize(tmp_path_factory, **FULL_CONTEXT, stackName=OTHER)


def rendered(value: Any) -> str:
    """A name as text: tokens (the region in the dashboard's name) as <token>."""
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(part if isinstance(part, str) else "<token>" for part in parts)
    return json.dumps(value) if not isinstance(value, str) else value


def account_names(synth: Synth) -> set[str]:
    return {f"{resource['Type']} {rendered(value)}" for resource in synth.resources.values()
            for key, value in resource.get("Properties", {}).items() if key in ACCOUNT_UNIQUE}


def request_rules(synth: Synth) -> dict[str, EventPattern]:
    return {rule["Properties"]["Name"]: EventPattern.load(json.dumps(rule["Properties"]["EventPattern"]))
            for rule in synth.of_type("AWS::Events::Rule").values()
            if rule["Properties"].get("EventPattern", {}).get("source") == [names.EVENT_SOURCE]}


def event(detail_type: str, **detail: Any) -> dict[str, Any]:
    return {"source": names.EVENT_SOURCE, "detail-type": detail_type, "detail": {"host": "a.example.com", **detail}}


def test_the_stack_name_comes_from_context_and_every_name_follows_it(full_synth, other_synth):
    # Given the default stack and one named by context, both with every optional part
    assert (full_synth.stack.stack_name, other_synth.stack.stack_name) == (names.STACK_NAME, OTHER)
    default, other = account_names(full_synth), account_names(other_synth)
    # Then each has its names, and no name is the other's
    assert len(default) == len(other) > 10
    assert default.isdisjoint(other), sorted(default & other)
    # (and the other stack's names carry its name: the rule names the events role trusts, the state machines)
    assert f"AWS::Events::Rule {OTHER}-SetupRequested" in other
    assert f"AWS::StepFunctions::StateMachine {OTHER}-Setup" in other


def test_an_event_for_one_stack_matches_only_that_stacks_rules(full_synth, other_synth):
    # Given the request rules of both stacks
    rules = {names.STACK_NAME: request_rules(full_synth), OTHER: request_rules(other_synth)}
    assert [len(found) for found in rules.values()] == [2, 2]
    for detail_type in REQUESTS:
        # When a request names a stack, names another, or names none
        cases = {names.STACK_NAME: event(detail_type, stack=names.STACK_NAME),
                 OTHER: event(detail_type, stack=OTHER),
                 None: event(detail_type, stack="SomeThirdStack")}
        # (a request without the field is the default stack's: callers from before stackName keep working)
        cases_without = event(detail_type)
        for owner, sent in [*cases.items(), (names.STACK_NAME, cases_without)]:
            matched = {stack for stack, patterns in rules.items() for pattern in patterns.values()
                       if pattern.matches_event(sent)}
            # Then only the named stack's rule for that detail-type starts anything
            assert matched == ({owner} if owner else set()), (detail_type, sent["detail"])
            one_rule = [name for patterns in rules.values() for name, pattern in patterns.items()
                        if pattern.matches_event(sent)]
            assert len(one_rule) == (1 if owner else 0), one_rule


def test_every_event_the_workflows_publish_names_its_stack(other_synth):
    # Given every PutEvents task of the other stack's state machines (setup, undo, drift)
    entries = []
    for machine in other_synth.of_type("AWS::StepFunctions::StateMachine").values():
        parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
        definition = json.loads("".join(part if isinstance(part, str) else "X" for part in parts))
        entries += _put_events_entries(definition["States"])
    assert len(entries) >= 6
    # Then each names the stack that sent it
    assert {entry["Detail"]["stack"] for entry in entries} == {OTHER}


def _put_events_entries(states: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for state in states.values():
        if str(state.get("Resource", "")).endswith(":states:::events:putEvents"):
            found += state["Parameters"]["Entries"]
        for nested in [state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", [])]:
            if nested:
                found += _put_events_entries(nested["States"])
    return found


@pytest.mark.parametrize("name", ["1Milvus", "Milvus_Layer7", "Milvus Layer7", "x" * (MAX_STACK_NAME_LENGTH + 1)])
def test_a_stack_name_cloudformation_or_the_rule_names_would_refuse_fails_synth(name):
    context = {"clusterName": "milvus-eks", "stackName": name}
    with pytest.raises(ConfigError, match="'stackName'"):
        StackConfig.from_context(context.get)


def test_the_longest_stack_name_allowed_synthesizes(tmp_path_factory):
    # Given a stack name of the longest length the check allows, every optional rule on
    from tests.infra.conftest import FULL_CONTEXT
    longest = "L" + "7" * (MAX_STACK_NAME_LENGTH - 1)
    synth = synthesize(tmp_path_factory, **FULL_CONTEXT, stackName=longest)
    # Then every rule's name fits EventBridge's 64 characters
    rule_names = [rule["Properties"]["Name"] for rule in synth.of_type("AWS::Events::Rule").values()
                  if "Name" in rule["Properties"]]
    assert rule_names and max(len(name) for name in rule_names) == 64


def test_each_stack_writes_and_alarms_on_metrics_in_its_own_namespace(full_synth, other_synth):
    # Given both stacks with every alarm and the drift schedule
    for synth, namespace in ((full_synth, names.METRICS_NAMESPACE), (other_synth, OTHER)):
        text = json.dumps(synth.raw)
        # Then the functions write (Powertools), the drift check puts, and the alarms and dashboard read its own
        variables = {function["Properties"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
                     for function in synth.of_type("AWS::Lambda::Function").values()
                     if "POWERTOOLS_METRICS_NAMESPACE" in function["Properties"].get("Environment", {}).get(
                         "Variables", {})}
        alarmed = {alarm["Properties"]["Namespace"] for alarm in synth.of_type("AWS::CloudWatch::Alarm").values()
                   if not alarm["Properties"].get("Namespace", "AWS/").startswith("AWS/")}
        assert variables == alarmed == {namespace}
        assert f'SCHEMA(\\"{namespace}\\"' in text  # the drift alarm's Metrics Insights query
        assert f'\\"Namespace\\":\\"{namespace}\\"' in text  # the drift check's PutMetricData
    assert '"MilvusLayer7' not in json.dumps(other_synth.raw).replace(f'"{OTHER}', "")
