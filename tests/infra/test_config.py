"""Context parsing: defaults, both list forms, and clear errors."""

from __future__ import annotations

import pytest

from stacks.config import NO_VPC, ConfigError, StackConfig

VPC = {"vpcId": "vpc-0123456789abcdef0", "privateSubnetIds": "subnet-0123456789abcdef0"}


def config(**context):
    """The context given, with vpcId=none unless it names the network itself."""
    context = {"vpcId": NO_VPC, **context}
    return StackConfig.from_context(lambda key: context.get(key))


def test_defaults():
    parsed = config(clusterName="milvus-eks")
    assert (parsed.namespace, parsed.lambda_architecture, parsed.lambda_python_version) == ("milvus", "arm64", "3.14")
    assert parsed.create_access_entry is True and parsed.skip_layer_bundling is False
    assert (parsed.verify_retry_interval_seconds, parsed.verify_max_attempts) == (10, 6)
    assert not parsed.in_vpc


@pytest.mark.parametrize("subnets", ["subnet-0123456789abcdef0, subnet-0123456789abcdef1",
                                     '["subnet-0123456789abcdef0","subnet-0123456789abcdef1"]',
                                     ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]])
def test_subnet_list_forms(subnets):
    parsed = config(clusterName="c", vpcId="vpc-0123456789abcdef0", privateSubnetIds=subnets)
    assert parsed.private_subnet_ids == ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")


def test_notifications_and_rotation():
    parsed = config(clusterName="c", alarmEmail=" ops@example.com ", certificateRotation="true",
                    host="milvus.example.com",
                    certificateSecretArn="arn:aws:secretsmanager:us-east-1:123456789012:secret:cert-AbCdEf")
    assert (parsed.alarm_email, parsed.alarm_topic_arn, parsed.certificate_rotation) == (
        "ops@example.com", None, True)
    topic = config(clusterName="c", alarmTopicArn="arn:aws:sns:us-east-1:123456789012:ops-alarms")
    assert (topic.alarm_topic_arn, topic.certificate_rotation) == ("arn:aws:sns:us-east-1:123456789012:ops-alarms",
                                                                   False)


def test_strings_from_the_command_line():
    parsed = config(clusterName="c", createAccessEntry="false", verifyMaxAttempts="3", skipLayerBundling="true")
    assert (parsed.create_access_entry, parsed.verify_max_attempts, parsed.skip_layer_bundling) == (False, 3, True)


@pytest.mark.parametrize("context, key", [
    ({}, "clusterName"),
    ({"clusterName": "c", "lambdaArchitecture": "arm"}, "lambdaArchitecture"),
    ({"clusterName": "c", "lambdaPythonVersion": "3.9"}, "lambdaPythonVersion"),
    ({"clusterName": "c", "namespace": "Milvus_NS"}, "namespace"),
    ({"clusterName": "c", "vpcId": "vpc-0123456789abcdef0"}, "vpcId"),
    ({"clusterName": "c", "privateSubnetIds": "subnet-0123456789abcdef0"}, "privateSubnetIds"),
    ({"clusterName": "c", "vpcId": "vpc-none"}, "vpcId"),
    ({"clusterName": "c", "vpcId": "vpc-0123456789abcdef0", "privateSubnetIds": "subnet-x"}, "privateSubnetIds"),
    ({"clusterName": "c", "createAccessEntry": "yes"}, "createAccessEntry"),
    ({"clusterName": "c", "verifyMaxAttempts": "many"}, "verifyMaxAttempts"),
    ({"clusterName": "c", "verifyRetryIntervalSeconds": 0}, "verifyRetryIntervalSeconds"),
    ({"clusterName": "c", "hostedZoneId": "zone"}, "hostedZoneId"),
    ({"clusterName": "c", "certificateSecretArn": "my-secret"}, "certificateSecretArn"),
    ({"clusterName": "c", "alarmEmail": "ops at example.com"}, "alarmEmail"),
    ({"clusterName": "c", "alarmTopicArn": "arn:aws:sqs:us-east-1:123456789012:q"}, "alarmTopicArn"),
    ({"clusterName": "c", "alarmEmail": "ops@example.com",
      "alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:ops"}, "alarmTopicArn"),
    ({"clusterName": "c", "certificateRotation": "yes"}, "certificateRotation"),
    ({"clusterName": "c", "certificateRotation": True, "host": "milvus.example.com"}, "certificateRotation"),
])
def test_invalid_values_name_the_key(context, key):
    with pytest.raises(ConfigError, match=key):
        config(**context)


@pytest.mark.parametrize("expression", ["rate(1 hour)", "rate(15 minutes)", "cron(0 * * * ? *)"])
def test_a_drift_check_schedule_is_a_recurring_scheduler_expression(expression):
    assert config(clusterName="c", driftCheckSchedule=expression).drift_check_schedule == expression
    assert config(clusterName="c").drift_check_schedule is None


@pytest.mark.parametrize("expression", ["at(2027-01-01T00:00:00)", "rate(0 hours)", "rate(1 week)", "hourly"])
def test_a_drift_check_schedule_that_is_no_recurring_expression_names_the_key(expression):
    with pytest.raises(ConfigError, match="context 'driftCheckSchedule' must be an EventBridge Scheduler rate"):
        config(clusterName="c", driftCheckSchedule=expression)


def test_drift_repair_is_off_unless_asked_and_needs_the_schedule():
    assert config(clusterName="c", driftCheckSchedule="rate(1 hour)").drift_repair is False
    assert config(clusterName="c", driftCheckSchedule="rate(1 hour)", driftRepair="true").drift_repair is True
    with pytest.raises(ConfigError, match="context 'driftRepair=true' needs 'driftCheckSchedule'"):
        config(clusterName="c", driftRepair="true")


def test_every_accepted_python_version_is_a_runtime_of_the_cdks_enum():
    from stacks.config import PYTHON_VERSIONS
    from stacks.functions import RUNTIMES

    assert {version: RUNTIMES[version].name for version in PYTHON_VERSIONS} == {
        version: f"python{version}" for version in PYTHON_VERSIONS}
    # and a version the enum does not know is refused at synth, naming the key
    with pytest.raises(ConfigError, match="lambdaPythonVersion"):
        config(clusterName="c", lambdaPythonVersion="3.15")


def test_vpc_none_is_said_on_purpose_and_runs_outside_any_vpc():
    assert [config(clusterName="c", vpcId=value).in_vpc for value in ("none", " None ")] == [False, False]
    assert config(clusterName="c", **VPC).vpc_id == "vpc-0123456789abcdef0"


@pytest.mark.parametrize("missing", [{}, {"vpcId": ""}, {"vpcId": None}, {"vpcId": "  "}])
def test_a_context_without_vpc_id_fails_synth_rather_than_moving_the_functions_out_of_their_vpc(missing):
    # Given the context of a first deploy in a VPC, and a later one that lost its network keys
    first = {"clusterName": "c", **VPC}
    assert StackConfig.from_context(first.get).in_vpc
    later = {"clusterName": "c", **missing}
    # When the later one is read, Then it is a ConfigError (synth exits 2), not a warning and a stack without a VPC
    with pytest.raises(ConfigError, match=r"context 'vpcId' is required: .* or vpcId=none .* Keep it in cdk.json"):
        StackConfig.from_context(later.get)


def test_a_missing_vpc_id_is_named_after_the_context_s_other_faults():
    with pytest.raises(ConfigError, match="lambdaArchitecture"):
        StackConfig.from_context({"clusterName": "c", "lambdaArchitecture": "arm"}.get)


def test_cdk_json_names_no_network_so_a_bare_deploy_must_say_it():
    # cdk.json is the file the README's deploy writes the context into; as shipped it holds no vpcId, and no
    # "none" either: a deploy that gave vpcId on its command line once and not the next time then fails.
    import json
    from pathlib import Path

    context = json.loads((Path(__file__).resolve().parents[2] / "cdk.json").read_text())["context"]
    assert "vpcId" not in context and "privateSubnetIds" not in context
    with pytest.raises(ConfigError, match="context 'vpcId' is required"):
        StackConfig.from_context(context.get)


def test_python_3_11_is_refused_for_aws_saying_why_and_kept_for_the_sandbox():
    # Lambda's python3.11 runs on Amazon Linux 2 (glibc 2.26), which the locked numpy/pandas wheels do not load
    network = {"clusterName": "c", "vpcId": "vpc-0123456789abcdef0", "privateSubnetIds": "subnet-0123456789abcdef0"}
    with pytest.raises(ConfigError, match=r"lambdaPythonVersion=3.11.*Amazon Linux 2 \(glibc 2.26\).*3.12 or later"):
        config(**network, lambdaPythonVersion="3.11")
    assert config(**network, lambdaPythonVersion="3.11", sandbox="true").lambda_python_version == "3.11"
    assert config(**network, lambdaPythonVersion="3.12").sandbox is False
