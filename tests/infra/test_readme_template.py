"""The README's claims about the template, held to the synthesized one: its alarms table, its outputs table, and
the ``StartExecutionCommand`` output's input, which Validate must accept as the state machine hands it over."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

import pytest

from layer7.environment import FunctionEnvironment
from layer7.errors import InvalidInput
from layer7.input_checks import check_budget
from layer7.models import ValidateEvent
from tests.infra.conftest import ROOT, VPC_CONTEXT
from validate.logic import validate

REGION = "us-east-1"  # Lambda sets AWS_REGION itself; the template's variables do not hold it


def section(title: str) -> str:
    return (ROOT / "README.md").read_text().split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _alarm_names(synth: Any) -> set[str]:
    return {alarm["Properties"]["AlarmName"] for alarm in synth.of_type("AWS::CloudWatch::Alarm").values()}


def _alarm_rows() -> dict[str, str]:
    """Each alarm the README's table names (``-X`` after a name is that name's prefix with X) -> its condition."""
    rows: dict[str, str] = {}
    for names, condition in re.findall(r"^\| (`MilvusLayer7-.*?) \| (.*) \|$", section("Monitoring and alarms"),
                                       re.MULTILINE):
        for name in re.findall(r"`([\w-]+)`", names.split("(", 1)[0]):
            full = name if name.startswith("MilvusLayer7-") else "MilvusLayer7" + name
            rows[full] = names + " | " + condition
    return rows


def test_the_alarms_table_is_the_templates(default_synth, full_synth):
    rows = _alarm_rows()
    # Then the table names every alarm of the stack with everything on, and no other
    assert set(rows) == _alarm_names(full_synth), "README's alarms table differs from the template's alarms"
    # and says which come only with a context key: those a default stack lacks
    conditional = {name for name, row in rows.items() if "(with `" in row}
    assert conditional == _alarm_names(full_synth) - _alarm_names(default_synth)


def _output_rows() -> dict[str, str]:
    table = section("Deploying to AWS").split("### Stack outputs\n", 1)[1].split("\n### ", 1)[0]
    return dict(re.findall(r"^\| `(\w+)` \| (.*?) \|", table, re.MULTILINE))


def test_the_outputs_table_is_the_templates(default_synth, full_synth):
    rows = _output_rows()
    # Then the table names every output of the stack with everything on (a VPC, the drift schedule), no other
    assert set(rows) == set(full_synth.raw["Outputs"]), "README's outputs table differs from the template's outputs"
    # and the ones it says are always there are exactly a default stack's
    assert {key for key, there in rows.items() if there == "always"} == set(default_synth.raw["Outputs"])


# --- StartExecutionCommand: what Validate makes of it --------------------------------------------------------


def _command_input(synth: Any) -> Any:
    """The ``--input`` of the ``StartExecutionCommand`` output, read as a shell would pass it."""
    parts = synth.raw["Outputs"]["StartExecutionCommand"]["Value"]["Fn::Join"][1]
    words = shlex.split("".join(part if isinstance(part, str) else "STATE_MACHINE_ARN" for part in parts))
    assert words[:3] == ["aws", "stepfunctions", "start-execution"], words
    return json.loads(words[words.index("--input") + 1])


def _validate_environment(synth: Any) -> FunctionEnvironment:
    """Validate's function environment as the template sets it (tokens, such as the table's name, left out)."""
    (function,) = [f for f in synth.of_type("AWS::Lambda::Function").values()
                   if f["Properties"]["Handler"] == "validate.handler.lambda_handler"]
    variables = function["Properties"]["Environment"]["Variables"]
    return FunctionEnvironment.from_environment(
        {"AWS_REGION": REGION, **{key: value for key, value in variables.items() if isinstance(value, str)}})


def _validate_as_started(synth: Any, execution_input: Any) -> Any:
    """Validate's Parameters from the definition, with the execution's input where they read ``$``."""
    parameters = synth.definition()["States"]["Validate"]["Parameters"]
    event = {key.removesuffix(".$"): execution_input if value == "$" else f"from {value}"
             for key, value in parameters.items()}
    check_budget(event["input"])
    parsed = ValidateEvent.model_validate(event)
    return validate(parsed.input, _validate_environment(synth))


def test_the_start_command_of_a_stack_with_host_and_secret_is_accepted_by_validate(vpc_synth):
    # Given a stack whose context has host and certificateSecretArn
    execution_input = _command_input(vpc_synth)
    # When its StartExecutionCommand's input reaches Validate as the state machine hands it over
    request = _validate_as_started(vpc_synth, execution_input)
    # Then Validate accepts it as it is, with the stack's host and secret
    assert request.host == VPC_CONTEXT["host"]
    assert request.certificate.secret_arn == VPC_CONTEXT["certificateSecretArn"]


def test_the_start_command_of_a_bare_stack_needs_only_its_placeholders_filled(default_synth):
    # Given a stack with no host nor secret in its context: its command's input holds placeholders
    text = json.dumps(_command_input(default_synth))
    assert set(re.findall(r"<[^>]*>", text)) == {"<host>", "<secret ARN>"}
    # When they are filled in
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-layer7/milvus-example-com-AbCdEf"
    filled = json.loads(text.replace("<host>", "milvus.example.com").replace("<secret ARN>", secret))
    # Then Validate accepts it
    request = _validate_as_started(default_synth, filled)
    assert (request.host, request.certificate.secret_arn) == ("milvus.example.com", secret)


@pytest.mark.parametrize("placeholder", ["<host>", "<secret ARN>"])
def test_validate_refuses_an_unfilled_placeholder(default_synth, placeholder):
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-layer7/milvus-example-com-AbCdEf"
    text = json.dumps(_command_input(default_synth))
    left = {"<host>": "milvus.example.com", "<secret ARN>": secret}
    left.pop(placeholder)
    for name, value in left.items():
        text = text.replace(name, value)
    with pytest.raises(InvalidInput):
        _validate_as_started(default_synth, json.loads(text))


def test_the_aws_auth_section_counts_the_roles_the_output_maps(default_synth):
    # Given the number of roles the README's aws-auth section says to map
    numbers = {"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14}
    text = section("Deploying to AWS").split("### Clusters still on the aws-auth ConfigMap\n", 1)[1]
    (said,) = re.findall(r"map the\s+(\w+) Kubernetes-calling roles", text)
    # Then it is the number of entries in the stack's AwsAuthMapRoles output
    assert numbers[said] == json.dumps(default_synth.raw["Outputs"]["AwsAuthMapRoles"]["Value"]).count('"rolearn')
