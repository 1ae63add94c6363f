"""The functions' environment: one model the stack writes (stacks/functions.py) and the handlers read back."""

from __future__ import annotations

import pytest

from layer7.environment import FunctionEnvironment

SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-tls-AbCdEf"
SETUP = "arn:aws:states:us-east-1:123456789012:stateMachine:MilvusLayer7-Setup"
UNDO = "arn:aws:states:us-east-1:123456789012:stateMachine:MilvusLayer7-Undo"
DEPLOYED = FunctionEnvironment(
    cluster_name="milvus-eks", namespace="vector", host="milvus.example.com", certificate_secret_arn=SECRET_ARN,
    hosted_zone_id="Z0123456789ABC", listen_ports=(443, 8443), subnet_ids=("subnet-1", "subnet-2"),
    layer4_ports=(19530, 19531), dns_record_name="milvus.example.com", service_name="milvus-layer7",
    metrics_namespace="MilvusLayer7", related_state_machine_arns=(SETUP, UNDO),
)


@pytest.mark.parametrize("deployed", [DEPLOYED, FunctionEnvironment()], ids=["everything-set", "defaults"])
def test_what_the_stack_writes_the_handlers_read_back(deployed):
    # Given the environment the stack writes, when a handler reads it, then it is the same model
    assert FunctionEnvironment.from_environment(deployed.to_environment()) == deployed


def test_the_variables_are_written_as_the_stack_has_always_written_them():
    assert DEPLOYED.to_environment() == {
        "CLUSTER_NAME": "milvus-eks",
        "DEFAULT_NAMESPACE": "vector",
        "DEFAULT_HOST": "milvus.example.com",
        "DEFAULT_CERTIFICATE_SECRET_ARN": SECRET_ARN,
        "HOSTED_ZONE_ID": "Z0123456789ABC",
        "ALB_LISTEN_PORTS": "443,8443",
        "LAYER4_PORTS": "19530,19531",
        "FUNCTION_SUBNET_IDS": "subnet-1,subnet-2",
        "DNS_RECORD_NAME": "milvus.example.com",
        "POWERTOOLS_SERVICE_NAME": "milvus-layer7",
        "POWERTOOLS_METRICS_NAMESPACE": "MilvusLayer7",
        "STACK_NAME": "",
        "RELATED_STATE_MACHINE_ARNS": f"{SETUP},{UNDO}",
    }
    # Only ValidateUndo's function gets the related state machines
    assert "RELATED_STATE_MACHINE_ARNS" not in FunctionEnvironment().to_environment()


def test_empty_values_read_as_the_defaults_and_the_region_is_lambdas():
    env = {
        "CLUSTER_NAME": "c1",
        "DEFAULT_NAMESPACE": "",
        "DEFAULT_HOST": "h.example.com",
        "DEFAULT_CERTIFICATE_SECRET_ARN": SECRET_ARN,
        "HOSTED_ZONE_ID": "/hostedzone/Z1",
        "ALB_LISTEN_PORTS": "",
        "RELATED_STATE_MACHINE_ARNS": f" {SETUP} ,,",
        "AWS_REGION": "eu-west-1",
    }
    assert FunctionEnvironment.from_environment(env) == FunctionEnvironment(
        "c1", "milvus", "h.example.com", SECRET_ARN, "Z1", "eu-west-1", related_state_machine_arns=(SETUP,)
    )
    assert FunctionEnvironment.from_environment({}).listen_ports == (443,)
    # AWS_REGION is Lambda's reserved variable: never written by the stack
    assert "AWS_REGION" not in DEPLOYED.to_environment()


def test_validate_undo_reads_the_other_state_machines_than_its_own():
    assert DEPLOYED.other_state_machines(UNDO) == [SETUP]
    assert FunctionEnvironment().other_state_machines(UNDO) == []
