"""The steps' AWS clients (layer7/aws.py): botocore retries a read, never a write.

The answers are put on the wire with botocore's ``before-send`` event, under
its retry loop (botocore/endpoint.py: the loop asks ``needs-retry`` after each
answer), where a Stubber (``before-call``, above the loop) would never reach.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError

from layer7 import aws
from layer7.errors import TransientError

# ELBv2 (query protocol) and Route 53 (rest-xml) say Throttling in an ErrorResponse (botocore parsers.py)
THROTTLED = (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
             b"</Error><RequestId>1</RequestId></ErrorResponse>")
LOAD_BALANCERS = (b'<DescribeLoadBalancersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">'
                  b"<DescribeLoadBalancersResult><LoadBalancers><member><LoadBalancerName>k8s-milvus</LoadBalancerName>"
                  b"</member></LoadBalancers></DescribeLoadBalancersResult>"
                  b"<ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></DescribeLoadBalancersResponse>")


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


class Wire:
    """Answers each request with the next of ``answers`` (status, body), the last one for ever; counts requests."""

    def __init__(self, client: Any, *answers: tuple[int, bytes]):
        self.answers, self.sent = list(answers), 0
        client.meta.events.register("before-send", self.answer)

    def answer(self, request: Any, **_: Any) -> AWSResponse:
        status, body = self.answers[min(self.sent, len(self.answers) - 1)]
        self.sent += 1
        return AWSResponse(request.url, status, HTTPHeaders(), _Raw(body))


@pytest.fixture(autouse=True)
def backoffs(monkeypatch) -> list[float]:
    """botocore's waits between attempts, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", waited.append)
    return waited


def test_a_throttled_elbv2_read_is_retried_by_the_sdk_and_succeeds(backoffs):
    # Given ELBv2 throttles the first DescribeLoadBalancers and answers the second
    elbv2 = aws.client("elbv2")
    wire = Wire(elbv2, (400, THROTTLED), (200, LOAD_BALANCERS))
    # When a step reads, Then it gets the answer, on the second attempt, after one backoff
    found = elbv2.describe_load_balancers(Names=["k8s-milvus"])
    assert [lb["LoadBalancerName"] for lb in found["LoadBalancers"]] == ["k8s-milvus"]
    assert (wire.sent, len(backoffs)) == (2, 1)


def test_a_read_throttled_every_time_is_tried_read_attempts_times_then_is_transient():
    # Given ELBv2 throttles every call
    elbv2 = aws.client("elbv2")
    wire = Wire(elbv2, (400, THROTTLED))
    # When a step reads, Then botocore gives up after READ_ATTEMPTS and the step raises a TransientError
    with pytest.raises(ClientError) as caught:
        elbv2.describe_load_balancers()
    assert wire.sent == aws.READ_ATTEMPTS > 1
    with pytest.raises(TransientError):
        aws.raise_if_transient(caught.value, "DescribeLoadBalancers")


def test_a_throttled_write_is_tried_once_and_left_to_the_state_machine(backoffs):
    # Given Route 53 throttles a ChangeResourceRecordSets (and would accept a second)
    route53 = aws.client("route53")
    wire = Wire(route53, (400, THROTTLED), (200, b"<never-read/>"))
    # When a step writes, Then the SDK does not try again: one request, no backoff, a TransientError for the
    # state machine's retrier
    with pytest.raises(ClientError) as caught:
        route53.change_resource_record_sets(HostedZoneId="Z1", ChangeBatch={"Changes": [{
            "Action": "UPSERT", "ResourceRecordSet": {"Name": "milvus.example.com", "Type": "A", "TTL": 60,
                                                      "ResourceRecords": [{"Value": "192.0.2.1"}]}}]})
    assert (wire.sent, backoffs) == (1, [])
    with pytest.raises(TransientError):
        aws.raise_if_transient(caught.value, "ChangeResourceRecordSets")


def test_a_write_that_fails_on_a_5xx_is_not_retried_either():
    # Given DynamoDB answers the run lock's PutItem with a 500 (the SDK's standard mode would retry it)
    dynamodb = aws.client("dynamodb")
    wire = Wire(dynamodb, (500, b'{"__type": "InternalServerError", "message": "x"}'))
    with pytest.raises(ClientError):
        dynamodb.put_item(TableName="RunLock", Item={"host": {"S": "milvus.example.com"}})
    assert wire.sent == 1


@pytest.mark.parametrize("operation, read", [
    ("DescribeLoadBalancers", True), ("ListResourceRecordSets", True), ("GetSecretValue", True),
    ("GetCallerIdentity", True), ("ChangeResourceRecordSets", False), ("ImportCertificate", False),
    ("AddTagsToCertificate", False), ("PutItem", False), ("DeleteCertificate", False), ("StartExecution", False),
])
def test_reads_are_told_by_their_operation_name(operation, read):
    assert aws.is_read(operation) is read
