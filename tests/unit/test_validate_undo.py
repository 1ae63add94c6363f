"""ValidateUndo: the undo's input with setup's identifying fields and defaults, its own bounds, and the history
that tells "already undone" from "never set up"."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

from layer7.environment import FunctionEnvironment
from layer7.errors import InvalidInput, RunInProgress
from layer7.undo_models import ValidatedUndo
from validate_undo import handler
from validate_undo.history import previous_undo
from validate_undo.logic import validate_undo

STACK = FunctionEnvironment(cluster_name="milvus-eks", host="milvus.example.test", hosted_zone_id="Z0123456789ABC",
                      region="us-east-1", layer4_ports=(19530, 443), stack_name="MilvusLayer7")
SETUP = "arn:aws:states:us-east-1:123456789012:stateMachine:MilvusLayer7-Setup"
UNDO = "arn:aws:states:us-east-1:123456789012:stateMachine:MilvusLayer7-Undo"
T0 = datetime(2026, 5, 1, tzinfo=timezone.utc)


def refusal(raw) -> str:
    with pytest.raises(InvalidInput) as caught:
        validate_undo(raw, STACK)
    return str(caught.value)


def test_an_empty_undo_input_gets_setups_defaults_and_its_own():
    # When an empty input is validated
    request = validate_undo({}, STACK)
    # Then the identifying fields are setup's defaults, and the undo's own have theirs
    assert request.to_wire() == {
        "host": "milvus.example.test", "clusterName": "milvus-eks", "namespace": "milvus",
        "serviceName": "milvus-demo", "ingressName": "milvus-demo", "hostedZoneId": None,
        "layer4Verify": {"tls": False, "port": 19530, "serverName": "milvus.example.test", "tokenSecretArn": None,
                         "timeoutSeconds": 120},
        "layer4TimeoutSeconds": 1200, "albTimeoutSeconds": 900, "layer7DrainSeconds": 60,
    }


def test_every_undo_field_given_is_kept():
    request = validate_undo({
        "host": "Vectors.Example.Test", "namespace": "milvus", "serviceName": "vectors", "ingressName": "vectors-l7",
        "dns": {"hostedZoneId": "/hostedzone/Z0123456789ABC"},
        "layer4Verify": {"tls": True, "port": 443, "serverName": "nlb.example.test", "timeoutSeconds": 30},
        "layer4TimeoutSeconds": 60, "albTimeoutSeconds": 120, "layer7DrainSeconds": 0,
    }, STACK)
    assert (request.host, request.namespace, request.service_name, request.ingress_name, request.hosted_zone_id) == (
        "vectors.example.test", "milvus", "vectors", "vectors-l7", "Z0123456789ABC")
    assert request.layer4_verify.to_wire() == {"tls": True, "port": 443, "serverName": "nlb.example.test",
                                               "tokenSecretArn": None, "timeoutSeconds": 30}
    assert (request.layer4_timeout_seconds, request.alb_timeout_seconds, request.layer7_drain_seconds) == (60, 120, 0)


@pytest.mark.parametrize("raw, expected", [
    ({"certificate": {"secretArn": "x"}}, "certificate: unknown field"),
    ({"layer4Verify": {"port": 0}}, "layer4Verify.port: Input should be greater than or equal to 1"),
    ({"layer4Verify": {"port": 19531}}, "layer4Verify.port: 19531 is not a port the functions' security group "
                                        "lets them reach the Layer-4 load balancer on (19530,443); deploy with "
                                        "-c layer4Ports=...,19531"),
    ({"layer4TimeoutSeconds": 5}, "layer4TimeoutSeconds: Input should be greater than or equal to 10"),
    ({"layer7DrainSeconds": 3601}, "layer7DrainSeconds: Input should be less than or equal to 3600"),
    ({"layer4Verify": {"serverName": "other.example.test"}},
     "layer4Verify.serverName: only with tls: true (plain gRPC checks no name)"),
    ({"layer4Verify": {"tls": True, "serverName": "*.example.test"}},
     "layer4Verify.serverName: a wildcard is not a host; give the exact name clients connect to"),
    ({"dns": {"hostedZoneId": "ZOTHER"}},
     "dns.hostedZoneId: 'ZOTHER' is not the stack's hosted zone ('Z0123456789ABC'), the only one it may change"),
    ({"clusterName": "other"}, "clusterName: 'other' is not the cluster this stack manages ('milvus-eks')"),
    ({"stack": "MilvusLayer7Dev"}, "stack: 'MilvusLayer7Dev' is not this stack ('MilvusLayer7'): start the workflow "
                                   "of the stack 'MilvusLayer7Dev' deploys, or leave the field out"),
    ({"layer4Verify": {"tokenSecretArn": "arn:aws:s3:::bucket"}},
     "layer4Verify.tokenSecretArn: not a Secrets Manager secret ARN (arn:aws:secretsmanager:...:secret:...)"),
    ({"layer4Verify": {"tokenSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-layer7/x"}},
     "layer4Verify.tokenSecretArn: must name a secret under milvus-layer7/tokens/, the only secrets the "
     "verification may read (it never reads certificate keys); store the Milvus credentials there"),
])
def test_an_undo_input_that_breaks_the_table_is_refused_naming_the_field(raw, expected):
    assert refusal(raw) == expected


# --- history ---------------------------------------------------------------------


class History:
    """Step Functions' ListExecutions (newest first) and DescribeExecution over a list of executions."""

    def __init__(self, executions: list[dict]):
        self.executions = executions
        self.described: list[str] = []

    def get_paginator(self, name):
        assert name == "list_executions"
        history = self

        class Paginator:
            def paginate(self, stateMachineArn, statusFilter):
                found = [e for e in history.executions
                         if e["machine"] == stateMachineArn and e["status"] == statusFilter]
                return [{"executions": sorted(found, key=lambda e: e["startDate"], reverse=True)}]

        return Paginator()

    def describe_execution(self, executionArn):
        self.described.append(executionArn)
        return next(e for e in self.executions if e["executionArn"] == executionArn)


def execution(machine: str, name: str, host: str, started: timedelta, status: str = "SUCCEEDED") -> dict:
    return {"machine": machine, "executionArn": f"{machine.replace('stateMachine', 'execution')}:{name}",
            "status": status, "startDate": T0 + started, "stopDate": T0 + started + timedelta(minutes=5),
            "input": f'{{"host": "{host}"}}'}


def look(executions, host="milvus.example.test", **kwargs):
    return previous_undo(host, sfn=History(executions), undo_machine=UNDO, setup_machines=[SETUP],
                         execution_arn=f"{UNDO.replace('stateMachine', 'execution')}:now", default_host="", **kwargs)


def test_an_undo_that_succeeded_after_the_last_setup_is_the_previous_undo():
    # Given a setup, then an undo for the host, and an undo for another host after both
    runs = [execution(SETUP, "s1", "milvus.example.test", timedelta(0)),
            execution(UNDO, "u1", "milvus.example.test", timedelta(hours=1)),
            execution(UNDO, "u2", "other.example.test", timedelta(hours=2))]
    # Then the host's undo is found
    assert look(runs) == runs[1]["executionArn"]


def test_a_setup_that_succeeded_after_the_undo_means_there_is_no_previous_undo():
    runs = [execution(UNDO, "u1", "milvus.example.test", timedelta(0)),
            execution(SETUP, "s1", "milvus.example.test", timedelta(hours=1))]
    assert look(runs) is None


def test_failed_undos_and_other_hosts_do_not_count():
    runs = [execution(UNDO, "u1", "milvus.example.test", timedelta(0), status="FAILED"),
            execution(UNDO, "u2", "other.example.test", timedelta(hours=1))]
    assert look(runs) is None


def test_the_look_is_bounded():
    runs = [execution(UNDO, f"u{n}", "other.example.test", timedelta(minutes=n)) for n in range(5)]
    runs.append(execution(UNDO, "old", "milvus.example.test", timedelta(minutes=-10)))
    assert look(runs, looks=5) is None and look(runs, looks=6) == runs[-1]["executionArn"]


# --- the handler -----------------------------------------------------------------


class Sfn(History):
    """History, and this execution itself (started last, with an empty input)."""

    def describe_execution(self, executionArn):
        if executionArn.endswith(":now"):
            return {"startDate": T0 + timedelta(days=1), "input": "{}"}
        return super().describe_execution(executionArn)


class Acm:
    def get_paginator(self, name):
        class Paginator:
            def paginate(self, **_):
                return [{"CertificateSummaryList": [{"CertificateArn": "arn:aws:acm:us-east-1:123456789012:"
                                                                       "certificate/c1", "Type": "IMPORTED"}]}]
        return Paginator()

    def list_tags_for_certificate(self, CertificateArn):
        return {"Tags": [{"Key": "milvus-layer7:managed-by", "Value": "milvus-layer7"},
                         {"Key": "milvus-layer7:host", "Value": "milvus.example.test"}]}


@pytest.fixture
def undo_environment(monkeypatch):
    for name, value in {"CLUSTER_NAME": "milvus-eks", "DEFAULT_NAMESPACE": "milvus",
                        "DEFAULT_HOST": "milvus.example.test", "HOSTED_ZONE_ID": "",
                        "RELATED_STATE_MACHINE_ARNS": f"{SETUP},{UNDO}",
                        "RUN_LOCK_TABLE": "RunLock", "RUN_LOCK_HOLD_SECONDS": "36000"}.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def locks():
    """The run lock's table (stacks/run_lock.py) in moto."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName="RunLock", KeySchema=[{"AttributeName": "host", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "host", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        yield client


def test_the_handler_returns_the_request_the_previous_undo_and_the_certificates_left(undo_environment, locks,
                                                                                       lambda_context):
    # Given a setup and an undo that both succeeded, and a certificate setup imported
    runs = [execution(SETUP, "s1", "milvus.example.test", timedelta(0)),
            execution(UNDO, "u1", "milvus.example.test", timedelta(hours=1))]
    event = {"input": {}, "correlationId": f"{UNDO.replace('stateMachine', 'execution')}:now",
             "stateMachineArn": UNDO}
    # When ValidateUndo runs
    output = handler.lambda_handler(event, lambda_context, sfn=Sfn(runs), acm=Acm(), dynamodb=locks)
    # Then the state gets the request, the earlier undo and the certificate
    validated = ValidatedUndo.model_validate(output)
    assert validated.previous_undo == runs[1]["executionArn"]
    assert validated.managed_certificates == ["arn:aws:acm:us-east-1:123456789012:certificate/c1"]
    assert validated.request.host == "milvus.example.test"
    # and this undo holds the host's run lock
    item = locks.get_item(TableName="RunLock", Key={"host": {"S": "milvus.example.test"}})["Item"]
    assert item["holder"]["S"] == event["correlationId"]


def test_a_setup_running_for_the_host_refuses_the_undo(undo_environment, locks, lambda_context):
    # Given a setup for the host that holds the host's run lock and still runs
    running = execution(SETUP, "s1", "milvus.example.test", timedelta(hours=1), status="RUNNING")
    locks.put_item(TableName="RunLock", Item={"host": {"S": "milvus.example.test"},
                                              "holder": {"S": running["executionArn"]},
                                              "expiresAt": {"N": str(int(T0.timestamp()) + 10**9)}})
    event = {"input": {}, "correlationId": f"{UNDO.replace('stateMachine', 'execution')}:now",
             "stateMachineArn": UNDO}
    # Then the undo ends at ValidateUndo with RunInProgress, and the lock stays the setup's
    with pytest.raises(RunInProgress, match="s1 is already running for host milvus.example.test"):
        handler.lambda_handler(event, lambda_context, sfn=Sfn([running]), acm=Acm(), dynamodb=locks)
    item = locks.get_item(TableName="RunLock", Key={"host": {"S": "milvus.example.test"}})["Item"]
    assert item["holder"]["S"] == running["executionArn"]


def test_the_stack_an_undo_event_names_changes_nothing_in_the_request():
    # Given an undo request as an event's detail names its own stack (docs/CONTRACT.md "Events")
    # Then it is the request without the field
    assert validate_undo({"stack": "MilvusLayer7"}, STACK) == validate_undo({}, STACK)
