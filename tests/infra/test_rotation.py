"""Certificate rotation rules (stacks/rotation.py), only with certificateRotation=true."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest

import app as app_module
from stacks.config import ConfigError
from stacks.rotation import secret_ids
from tests.infra.conftest import FULL_CONTEXT

SECRET_ARN = FULL_CONTEXT["certificateSecretArn"]
SECRET_IDS = [SECRET_ARN, "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-cert", "milvus-cert"]


def secrets_manager_rules(synth) -> dict[str, dict]:
    return {key: rule["Properties"] for key, rule in synth.of_type("AWS::Events::Rule").items()
            if rule["Properties"]["EventPattern"].get("source") == ["aws.secretsmanager"]}


def test_no_rotation_rules_by_default(default_synth, vpc_synth):
    assert secrets_manager_rules(default_synth) == {} and secrets_manager_rules(vpc_synth) == {}


def test_rotation_rule_patterns(full_synth):
    patterns = sorted((rule["EventPattern"] for rule in secrets_manager_rules(full_synth).values()),
                      key=lambda pattern: pattern["detail-type"])
    assert patterns == [
        {"source": ["aws.secretsmanager"], "detail-type": ["AWS API Call via CloudTrail"],
         "detail": {"eventSource": ["secretsmanager.amazonaws.com"],
                    "eventName": ["PutSecretValue", "UpdateSecret"],
                    "requestParameters": {"secretId": SECRET_IDS}}},
        {"source": ["aws.secretsmanager"], "detail-type": ["AWS Service Event via CloudTrail"],
         "detail": {"eventSource": ["secretsmanager.amazonaws.com"], "eventName": ["RotationSucceeded"],
                    "additionalEventData": {"SecretId": SECRET_IDS}}},
    ]


def test_rotation_starts_the_state_machine_with_empty_input(full_synth):
    (machine_id,) = full_synth.of_type("AWS::StepFunctions::StateMachine")
    for rule in secrets_manager_rules(full_synth).values():
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Ref": machine_id}
        assert json.loads(target["Input"]) == {}
        role_id = target["RoleArn"]["Fn::GetAtt"][0]
        statements = [statement for policy in full_synth.of_type("AWS::IAM::Policy").values()
                      if {"Ref": role_id} in policy["Properties"]["Roles"]
                      for statement in policy["Properties"]["PolicyDocument"]["Statement"]]
        assert statements == [{"Action": "states:StartExecution", "Effect": "Allow",
                               "Resource": {"Ref": machine_id}}]


def test_cdk_nag_clean_with_everything_on(full_synth):
    assert full_synth.validation_violations() == []


@pytest.mark.parametrize("missing", ["host", "certificateSecretArn"])
def test_rotation_needs_host_and_secret(missing):
    context = {"clusterName": "milvus-eks", "certificateRotation": "true",
               **{key: FULL_CONTEXT[key] for key in ("host", "certificateSecretArn") if key != missing}}
    with pytest.raises(ConfigError, match="certificateRotation.*host.*certificateSecretArn"):
        app_module.build_app(cdk.App(context=context))


@pytest.mark.parametrize("arn, expected", [
    (SECRET_ARN, SECRET_IDS),
    ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:milvus-layer7/milvus-example-com-AbCdEf",
     ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:milvus-layer7/milvus-example-com-AbCdEf",
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:milvus-layer7/milvus-example-com",
      "milvus-layer7/milvus-example-com"]),
    # A partial ARN (no random suffix) is matched as given and by name.
    ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:certs",
     ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:certs", "certs"]),
])
def test_secret_ids(arn, expected):
    assert secret_ids(arn) == expected
