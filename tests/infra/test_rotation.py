"""Certificate rotation rules (stacks/rotation.py), only with certificateRotation=true."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest

import app as app_module
from stacks.config import ConfigError
from tests.infra.conftest import FULL_CONTEXT

SECRET_ARN = FULL_CONTEXT["certificateSecretArn"]


def secrets_manager_rules(synth) -> dict[str, dict]:
    return {key: rule["Properties"] for key, rule in synth.of_type("AWS::Events::Rule").items()
            if rule["Properties"]["EventPattern"].get("source") == ["aws.secretsmanager"]}


def test_no_rotation_rules_by_default(default_synth, vpc_synth):
    assert secrets_manager_rules(default_synth) == {} and secrets_manager_rules(vpc_synth) == {}


def test_one_rule_matches_only_a_new_current_value(full_synth):
    # Secrets Manager's own event when AWSCURRENT moves to another version of exactly this secret
    (pattern,) = (rule["EventPattern"] for rule in secrets_manager_rules(full_synth).values())
    assert pattern == {"source": ["aws.secretsmanager"], "detail-type": ["Secret Label Updated"],
                       "resources": [SECRET_ARN], "detail": {"labelUpdated": ["AWSCURRENT"]}}


def test_rotation_starts_a_renewal(full_synth):
    machine_id = full_synth.machine_id("Setup")
    (queue_id,) = full_synth.of_type("AWS::SQS::Queue")
    for rule in secrets_manager_rules(full_synth).values():
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Ref": machine_id}
        assert json.loads(target["Input"]) == {"renew": True}
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


def test_rotation_needs_the_full_secret_arn():
    context = {"clusterName": "milvus-eks", "certificateRotation": "true", "host": "milvus.example.com",
               "certificateSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:certs"}
    with pytest.raises(ConfigError, match="full ARN, with the six-character suffix"):
        app_module.build_app(cdk.App(context=context))
