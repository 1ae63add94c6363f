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


def test_one_rule_matches_only_a_new_current_value(full_synth):
    (pattern,) = (rule["EventPattern"] for rule in secrets_manager_rules(full_synth).values())
    assert pattern == {
        "source": ["aws.secretsmanager"], "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["secretsmanager.amazonaws.com"],
            "errorCode": [{"exists": False}],
            "requestParameters": {"secretId": SECRET_IDS},
            "$or": [
                {"eventName": ["PutSecretValue"], "requestParameters": {"versionStages": [{"exists": False}]}},
                {"eventName": ["PutSecretValue"], "requestParameters": {"versionStages": ["AWSCURRENT"]}},
                {"eventName": ["UpdateSecret"], "responseElements": {"versionId": [{"exists": True}]}},
                {"eventName": ["UpdateSecretVersionStage"],
                 "requestParameters": {"versionStage": ["AWSCURRENT"], "moveToVersionId": [{"exists": True}]}},
            ],
        },
    }


def test_rotation_starts_the_state_machine_with_empty_input(full_synth):
    machine_id = full_synth.machine_id("Setup")
    (queue_id,) = full_synth.of_type("AWS::SQS::Queue")
    for rule in secrets_manager_rules(full_synth).values():
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Ref": machine_id}
        assert json.loads(target["Input"]) == {}
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
        assert target["RetryPolicy"] == {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 3600}
        assert rule["Name"] == "MilvusLayer7-NewCertificate"


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
    # the suffix is cut exactly, whatever the name itself ends with
    ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:milvus-layer7/tls-cert-2026ab-AbCdEf",
     ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:milvus-layer7/tls-cert-2026ab-AbCdEf",
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:milvus-layer7/tls-cert-2026ab",
      "milvus-layer7/tls-cert-2026ab"]),
])
def test_secret_ids(arn, expected):
    assert secret_ids(arn) == expected


def test_rotation_needs_the_full_secret_arn():
    context = {"clusterName": "milvus-eks", "certificateRotation": "true", "host": "milvus.example.com",
               "certificateSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:certs"}
    with pytest.raises(ConfigError, match="full ARN, with the six-character suffix"):
        app_module.build_app(cdk.App(context=context))
