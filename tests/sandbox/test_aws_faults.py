"""The product's AWS calls against moto's injected faults (sandbox/aws/faults.py): every throttling and 5xx answer
of a service the steps call is a TransientError, never another contract error, so the state machine retries it
(stacks/retries.py). Only the functions' calls meet them; the sandbox's own helpers go on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from layer7 import aws
from layer7.dns_records import records_at
from layer7.errors import TransientError
from layer7.load_balancers import find_load_balancer
from layer7.managed_certificates import find_managed_certificates
from layer7.milvus_grpc import read_token
from layer7.run_lock import acquire
from sandbox.aws.identities import role_credentials
from sandbox.faults import AWS_KINDS, Faults

HOST = "milvus.example.com"
ROLE = "arn:aws:iam::123456789012:role/milvus-layer7-UpsertDns"


def product_client(sandbox: Any, service: str) -> Any:
    """A client as a step builds it (layer7.aws: reads retried by the SDK, writes not), signed with a function
    role's key."""
    key = role_credentials(ROLE)
    return aws.reads_retry_only(boto3.client(  # type: ignore[call-overload]
        service, endpoint_url=sandbox.endpoint, region_name=sandbox.region, aws_access_key_id=key.access_key_id,
        aws_secret_access_key=key.secret_access_key, config=aws.CLIENT_CONFIG))


def _elbv2(sandbox: Any) -> Callable[[], object]:
    elbv2 = product_client(sandbox, "elbv2")
    return lambda: find_load_balancer(elbv2, "k8s-milvus-milvusde-0123456789-1234567890.us-east-1.elb.amazonaws.com")


def _acm(sandbox: Any) -> Callable[[], object]:
    acm = product_client(sandbox, "acm")
    return lambda: find_managed_certificates(acm, HOST)


def _route53(sandbox: Any) -> Callable[[], object]:
    zone = sandbox.client("route53").create_hosted_zone(Name="example.com", CallerReference=f"faults-{id(sandbox)}")
    route53, zone_id = product_client(sandbox, "route53"), zone["HostedZone"]["Id"]
    return lambda: records_at(route53, zone_id, HOST)


def _secretsmanager(sandbox: Any) -> Callable[[], object]:
    arn = sandbox.client("secretsmanager").create_secret(Name=f"faults-{id(sandbox)}",
                                                         SecretString='{"token": "root:Milvus"}')["ARN"]
    secrets = product_client(sandbox, "secretsmanager")
    return lambda: read_token(secrets, arn)


def _dynamodb(sandbox: Any) -> Callable[[], object]:
    table = f"faults-{id(sandbox)}"
    sandbox.client("dynamodb").create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                                            KeySchema=[{"AttributeName": "host", "KeyType": "HASH"}],
                                            AttributeDefinitions=[{"AttributeName": "host", "AttributeType": "S"}])
    dynamodb, sfn = product_client(sandbox, "dynamodb"), product_client(sandbox, "stepfunctions")
    arn = "arn:aws:states:us-east-1:123456789012:execution:setup:run-1"
    return lambda: acquire(dynamodb, sfn, table=table, host=HOST, execution_arn=arn,
                           now=datetime.now(UTC), hold_seconds=900)


# What botocore reads from each fault's body: the documented code and status (sandbox/aws/faults.py)
CODES = {"throttle": ("ThrottlingException", 400), "prior-request": ("PriorRequestNotComplete", 400),
         "throughput": ("ProvisionedThroughputExceededException", 400), "500": ("InternalFailure", 500),
         "503": ("ServiceUnavailable", 503)}
XML_THROTTLING = {"aws.elbv2", "aws.route53"}  # query and rest-xml services say Throttling
HELPER_READS = {"aws.elbv2": ("elbv2", "describe_load_balancers"), "aws.acm": ("acm", "list_certificates"),
                "aws.route53": ("route53", "list_hosted_zones"),
                "aws.secretsmanager": ("secretsmanager", "list_secrets"), "aws.dynamodb": ("dynamodb", "list_tables")}
WRITES = {"aws.dynamodb"}  # the run lock's PutItem; every other call is a read
CALLS = {"aws.elbv2": _elbv2, "aws.acm": _acm, "aws.route53": _route53, "aws.secretsmanager": _secretsmanager,
         "aws.dynamodb": _dynamodb}


@pytest.fixture(scope="module")
def calls(sandbox: Any) -> dict[str, Callable[[], object]]:
    """One product call per target, each on resources the sandbox's helpers made (before any fault)."""
    return {target: make(sandbox) for target, make in CALLS.items()}


@pytest.mark.parametrize("target, kind", [(target, kind) for target, kinds in AWS_KINDS.items() for kind in kinds])
def test_every_fault_of_a_service_the_steps_call_is_a_transient_error(sandbox, calls, target, kind):
    # Given every product call to the service answered with one fault
    sandbox.set_faults(Faults(((f"{target}:{kind}", 1.0),)))
    try:
        # When a step's code makes its call, Then it is a TransientError, and the fault was met once per attempt:
        # a read READ_ATTEMPTS times (botocore's standard retries), a write once
        with pytest.raises(TransientError) as caught:
            calls[target]()
        met = [kind] * (1 if target in WRITES else aws.READ_ATTEMPTS)
        assert sandbox.faults_thrown == {target: met}
        # And botocore read the service's documented code and status from the fault's body
        code, status = CODES[kind]
        code = "Throttling" if kind == "throttle" and target in XML_THROTTLING else code
        cause: Any = caught.value.__cause__
        assert (aws.error_code(cause), cause.response["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
        assert code in str(caught.value)
        # And the sandbox's own helpers (moto's testing key) never meet it
        service, read = HELPER_READS[target]
        getattr(sandbox.client(service), read)()
        assert sandbox.faults_thrown == {target: met}
    finally:
        sandbox.set_faults(None)
    # And once the faults stop, the same call goes on
    calls[target]()
