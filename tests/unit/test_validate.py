"""Validate: the contract's input table, its defaults, and every way to break it."""

from __future__ import annotations

import json

import boto3
import pytest

from layer7.environment import FunctionEnvironment
from layer7.errors import InvalidInput
from layer7.models import SetupRequest, StepEvent
from validate import handler
from validate.logic import validate

SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-tls-AbCdEf"
CERT_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
STACK = FunctionEnvironment(cluster_name="milvus-eks", region="us-east-1")
CONFIGURED = FunctionEnvironment(
    cluster_name="milvus-eks",
    namespace="vector",
    host="milvus.example.com",
    certificate_secret_arn=SECRET_ARN,
    hosted_zone_id="Z0123456789ABC",
    region="us-east-1",
)
TOKEN_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-layer7/tokens/root-AbCdEf"
TWO_PORTS = FunctionEnvironment(cluster_name="milvus-eks", region="us-east-1", listen_ports=(443, 8443))
MINIMAL = {"host": "milvus.example.com", "certificate": {"secretArn": SECRET_ARN}}


def refusal(raw, stack=STACK) -> str:
    with pytest.raises(InvalidInput) as caught:
        validate(raw, stack)
    return str(caught.value)


# --- defaults ----------------------------------------------------------------


def test_a_minimal_input_gets_the_contract_defaults():
    # Given only host and certificate
    # When it is validated
    request = validate(MINIMAL, STACK)
    # Then every other field has the contract's default
    assert request.to_wire() == {
        "host": "milvus.example.com",
        "certificate": {"secretArn": SECRET_ARN, "certificateArn": None},
        "clusterName": "milvus-eks",
        "namespace": "milvus",
        "serviceName": "milvus-demo",
        "servicePort": 19530,
        "ingressName": "milvus-demo",
        "scheme": "internet-facing",
        "listenPort": 443,
        "ingressAnnotations": {},
        "layer4": "remove",
        "verify": {"tokenSecretArn": None, "roundTrip": False, "timeoutSeconds": 120},
        "hostedZoneId": None,
        "albTimeoutSeconds": 900,
        "layer4DrainSeconds": 60,
        "renew": False,
        "replaceLoadBalancer": False,
    }


def test_an_empty_input_takes_host_certificate_and_namespace_from_the_stack():
    request = validate({}, CONFIGURED)
    assert (request.host, request.certificate.secret_arn, request.namespace) == (
        "milvus.example.com",
        SECRET_ARN,
        "vector",
    )


def test_the_stack_zone_is_not_a_default_dns_only_happens_when_asked():
    # Given a stack with a hosted zone and an input that does not mention dns
    # Then no DNS change is planned
    assert validate({}, CONFIGURED).hosted_zone_id is None
    # And one that asks for the stack's zone (in either of Route 53's spellings) gets it
    assert (
        validate({"dns": {"hostedZoneId": "/hostedzone/Z0123456789ABC"}}, CONFIGURED).hosted_zone_id == "Z0123456789ABC"
    )


def test_every_field_given_is_kept():
    raw = {
        "host": "Milvus.Example.com",
        "certificate": {"certificateArn": CERT_ARN},
        "clusterName": "milvus-eks",
        "namespace": "vector",
        "serviceName": "my-milvus",
        "servicePort": 19531,
        "ingressName": "my-milvus.grpc",
        "scheme": "internal",
        "listenPort": 8443,
        "ingressAnnotations": {"alb.ingress.kubernetes.io/group.name": "shared"},
        "layer4": "keep",
        "verify": {"tokenSecretArn": TOKEN_ARN, "roundTrip": True, "timeoutSeconds": 30},
        "albTimeoutSeconds": 600,
    }
    request = validate(raw, FunctionEnvironment(cluster_name="milvus-eks", namespace="vector", region="us-east-1",
                                          listen_ports=(443, 8443)))
    assert request.host == "milvus.example.com"  # DNS is case-insensitive; Kubernetes wants lowercase
    assert request.certificate.certificate_arn == CERT_ARN and request.certificate.secret_arn is None
    assert (request.namespace, request.service_name, request.service_port) == ("vector", "my-milvus", 19531)
    assert (request.ingress_name, request.scheme, request.listen_port, request.layer4) == (
        "my-milvus.grpc",
        "internal",
        8443,
        "keep",
    )
    assert request.ingress_annotations == {"alb.ingress.kubernetes.io/group.name": "shared"}
    assert request.verify.round_trip and request.verify.timeout_seconds == 30
    assert request.alb_timeout_seconds == 600


def test_the_ingress_is_named_after_the_service_by_default():
    assert validate({**MINIMAL, "serviceName": "other"}, STACK).ingress_name == "other"


# --- refusals ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"hots": "x"}, "hots: unknown field"),
        ({"service_port": 1}, "service_port: unknown field"),
        ({"verify": {"timeout": 5}}, "verify.timeout: unknown field"),
        ({"servicePort": "19530"}, "servicePort: Input should be a valid integer"),
        ({"servicePort": True}, "servicePort: Input should be a valid integer"),
        ({"servicePort": 70000}, "servicePort: Input should be less than or equal to 65535"),
        ({"scheme": "public"}, "scheme: Input should be 'internet-facing' or 'internal'"),
        ({"layer4": "delete"}, "layer4: "),
        (
            {"ingressAnnotations": {"alb.ingress.kubernetes.io/x": 1}},
            "ingressAnnotations.alb.ingress.kubernetes.io/x: ",
        ),
        ({"certificate": {"secretArn": SECRET_ARN, "certificateArn": CERT_ARN}}, "certificate: give exactly one"),
        ({"certificate": {}}, "certificate: give exactly one"),
        ({"albTimeoutSeconds": 5}, "albTimeoutSeconds: "),
    ],
)
def test_the_strict_model_names_the_field(change, expected):
    assert expected in refusal({**MINIMAL, **change})


def test_an_input_that_is_not_an_object_is_refused():
    assert refusal(["host"]) == "input: must be a JSON object"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("namespace", "Milvus"),
        ("namespace", "-milvus"),
        ("namespace", "a" * 64),
        ("namespace", "mil.vus"),
        ("serviceName", "milvus_demo"),
        ("serviceName", "milvus-"),
        ("ingressName", "a..b"),
        ("ingressName", "UPPER"),
        ("ingressName", "a" * 254),
    ],
)
def test_names_that_kubernetes_would_refuse_are_refused(field, value):
    assert refusal({**MINIMAL, field: value}).startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("*.example.com", "wildcard"),
        ("milvus.example.com.", "trailing dot"),
        ("10.0.0.1", "IP address"),
        ("milvus_db.example.com", "not a valid DNS name"),
        ("a..example.com", "not a valid DNS name"),
        ("-a.example.com", "not a valid DNS name"),
        ("a" * 64 + ".example.com", "is 64 characters; a DNS label may have at most 63"),
        # the name, not its labels, is too long
        (".".join(["a" * 60] * 5) + ".com", "the name is 308 characters, longer than the 253 a DNS name may have"),
        ("münchen.example.com", "give its ASCII (punycode) form, 'xn--mnchen-3ya.example.com'"),
        ("https://milvus.example.com", "not a valid DNS name"),
    ],
)
def test_a_host_that_is_not_a_dns_name_is_refused(host, expected):
    message = refusal({**MINIMAL, "host": host})
    assert message.startswith("host: ") and expected in message


def test_an_input_naming_another_stack_is_refused_and_its_own_or_none_accepted():
    # Given the stack MilvusLayer7Prod, started directly (the rules route events by detail.stack)
    prod = FunctionEnvironment(cluster_name="milvus-eks", region="us-east-1", stack_name="MilvusLayer7Prod")
    # Then an input for another stack is refused, and one naming this stack or none goes on
    assert refusal({**MINIMAL, "stack": "MilvusLayer7Dev"}, prod) == (
        "stack: 'MilvusLayer7Dev' is not this stack ('MilvusLayer7Prod'): start the workflow of the stack "
        "'MilvusLayer7Dev' deploys, or leave the field out")
    assert validate({**MINIMAL, "stack": "MilvusLayer7Prod"}, prod).host == validate(MINIMAL, prod).host


def test_another_cluster_is_refused():
    assert "clusterName: 'other' is not the cluster this stack manages ('milvus-eks')" in refusal(
        {**MINIMAL, "clusterName": "other"}
    )


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("nginx.ingress.kubernetes.io/backend-protocol", "only alb.ingress.kubernetes.io/* annotations"),
        ("alb.ingress.kubernetes.io/certificate-arn", "set by the workflow"),
        ("alb.ingress.kubernetes.io/backend-protocol-version", "set by the workflow"),
        ("alb.ingress.kubernetes.io/target-type", "set by the workflow"),
        ("alb.ingress.kubernetes.io/listen-ports", "set by the workflow"),
        ("alb.ingress.kubernetes.io/scheme", "set by the workflow"),
        ("alb.ingress.kubernetes.io/", "not a valid annotation name"),
    ],
)
def test_annotations_outside_the_prefix_or_owned_by_the_workflow_are_refused(key, expected):
    message = refusal({**MINIMAL, "ingressAnnotations": {key: "x"}})
    assert message.startswith(f"ingressAnnotations.{key}: ") and expected in message


def test_other_alb_annotations_are_allowed():
    annotations = {
        "alb.ingress.kubernetes.io/healthcheck-interval-seconds": "10",
        "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    }
    assert validate({**MINIMAL, "ingressAnnotations": annotations}, STACK).ingress_annotations == annotations


@pytest.mark.parametrize("name", [
    "ssl-policy", "load-balancer-attributes", "healthcheck-interval-seconds", "healthcheck-timeout-seconds",
    "healthy-threshold-count", "unhealthy-threshold-count",
])
def test_the_workflows_defaults_may_be_overridden_unlike_the_guides_five(name):
    # Given a caller's value for an annotation the workflow sets by default
    value = {"ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
             "load-balancer-attributes": "idle_timeout.timeout_seconds=600",
             "healthcheck-interval-seconds": "10", "healthcheck-timeout-seconds": "3"}.get(name, "5")
    annotations = {f"alb.ingress.kubernetes.io/{name}": value}
    # Then Validate keeps it as given (ApplyIngress lays it over the defaults)
    assert validate({**MINIMAL, "ingressAnnotations": annotations}, STACK).ingress_annotations == annotations


def test_a_timeout_is_checked_against_the_workflows_default_interval():
    # Given a health-check timeout of 5 s and no interval: the workflow's default interval is 5 s
    message = refusal({**MINIMAL, "ingressAnnotations": {"alb.ingress.kubernetes.io/healthcheck-timeout-seconds": "5"}})
    # Then it is refused before the ELBv2 API would refuse it, saying which interval and what to do
    assert message == ("ingressAnnotations.alb.ingress.kubernetes.io/healthcheck-timeout-seconds: must be less than "
                       "the health check interval (5 seconds, the default: set healthcheck-interval-seconds too), "
                       "not 5")
    # And with an interval of its own it passes
    annotations = {"alb.ingress.kubernetes.io/healthcheck-timeout-seconds": "5",
                   "alb.ingress.kubernetes.io/healthcheck-interval-seconds": "15"}
    assert validate({**MINIMAL, "ingressAnnotations": annotations}, STACK).ingress_annotations == annotations


def test_host_and_certificate_are_required_when_the_stack_has_no_default():
    message = refusal({})
    assert "host: required" in message and "certificate: required" in message


@pytest.mark.parametrize(
    ("stack", "zone", "expected"),
    [
        (CONFIGURED, "ZOTHERZONE", "dns.hostedZoneId: 'ZOTHERZONE' is not the stack's hosted zone"),
        (STACK, "Z0123456789ABC", "dns.hostedZoneId: the stack was deployed without a hosted zone"),
    ],
)
def test_a_zone_the_stack_may_not_change_is_refused(stack, zone, expected):
    assert expected in refusal({**MINIMAL, "dns": {"hostedZoneId": zone}}, stack)


@pytest.mark.parametrize(
    ("certificate", "expected"),
    [
        ({"secretArn": CERT_ARN}, "certificate.secretArn: not a Secrets Manager secret ARN"),
        ({"secretArn": "milvus-tls"}, "certificate.secretArn: not a Secrets Manager secret ARN"),
        ({"certificateArn": SECRET_ARN}, "certificate.certificateArn: not an ACM certificate ARN"),
        ({"certificateArn": CERT_ARN.replace("us-east-1", "eu-west-1")}, "ACM certificates are regional"),
    ],
)
def test_an_arn_of_the_wrong_service_is_refused(certificate, expected):
    assert expected in refusal({**MINIMAL, "certificate": certificate})


def test_a_token_secret_must_be_a_secret_arn():
    assert "verify.tokenSecretArn: " in refusal({**MINIMAL, "verify": {"tokenSecretArn": "token"}})


def test_every_problem_is_reported_at_once():
    message = refusal({**MINIMAL, "namespace": "Bad", "clusterName": "other", "host": "*.example.com"})
    assert "namespace: " in message and "clusterName: " in message and "host: " in message


# --- the handler -----------------------------------------------------------------


@pytest.fixture
def stack_environment(monkeypatch):
    for name, value in {
        "CLUSTER_NAME": "milvus-eks",
        "DEFAULT_NAMESPACE": "milvus",
        "DEFAULT_HOST": "",
        "DEFAULT_CERTIFICATE_SECRET_ARN": "",
        "HOSTED_ZONE_ID": "",
    }.items():
        monkeypatch.setenv(name, value)

    def no_aws(*args, **kwargs):
        raise AssertionError("Validate must not call AWS")

    monkeypatch.setattr(boto3, "client", no_aws)
    monkeypatch.setattr(boto3.session.Session, "client", no_aws)


def test_the_handler_returns_the_request_the_next_steps_read(stack_environment, lambda_context):
    # Given the Payload Step Functions sends
    event = {"input": MINIMAL, "correlationId": "arn:aws:states:us-east-1:123456789012:execution:sm:run-1"}
    # When the handler runs
    output = handler.lambda_handler(event, lambda_context)
    # Then it returns the full request as plain JSON, which the later steps parse
    assert output["serviceName"] == "milvus-demo" and output["hostedZoneId"] is None
    assert SetupRequest.model_validate(output).to_wire() == output
    StepEvent.model_validate({"correlationId": event["correlationId"], "request": output})


def test_the_handler_refuses_a_bad_input_with_invalid_input(stack_environment, lambda_context):
    event = {"input": {**MINIMAL, "servicePort": "x"}, "correlationId": "run-2"}
    with pytest.raises(InvalidInput, match=r"^servicePort: "):
        handler.lambda_handler(event, lambda_context)


def test_the_handler_refuses_an_input_that_is_not_an_object(stack_environment, lambda_context):
    with pytest.raises(InvalidInput, match="input: must be a JSON object"):
        handler.lambda_handler({"input": "host=x", "correlationId": "run-3"}, lambda_context)


def test_the_handler_refuses_an_input_over_its_budget_naming_the_largest_field(stack_environment, lambda_context):
    # Given an input just under Step Functions' 256 KiB, its bulk in a field nobody reads
    raw = {**MINIMAL, "ingressAnnotations": {"alb.ingress.kubernetes.io/tags": "team=" + "x" * (255 * 1024 - 400)}}
    assert 254 * 1024 < len(json.dumps(raw).encode()) < 256 * 1024
    # When the handler runs
    with pytest.raises(InvalidInput) as caught:
        handler.lambda_handler({"input": raw, "correlationId": "run-4"}, lambda_context)
    # Then it is refused by the budget that keeps every state under the limit, naming the largest field
    assert "over the input budget of 65536 bytes (64 KiB)" in str(caught.value)
    assert "the largest field is 'ingressAnnotations'" in str(caught.value)


# --- what the stack's grants and network allow ----------------------------------------------------------


def test_a_listen_port_the_security_group_does_not_open_is_refused_with_the_remedy():
    # Given a stack whose functions may reach the ALB on 443 only
    # When a run asks for a listener on 8443
    reason = refusal({**MINIMAL, "listenPort": 8443})
    # Then Validate refuses before anything changes, naming the context that would open it
    assert "listenPort: 8443 is not a port the functions' security group may reach" in reason
    assert "-c albListenPorts=443,8443" in reason
    # And a stack deployed with both ports takes it
    assert validate({**MINIMAL, "listenPort": 8443}, TWO_PORTS).listen_port == 8443


def test_a_token_secret_outside_the_token_prefix_is_refused():
    # The certificate secret is not a token secret: VerifyGrpc may never read it
    reason = refusal({**MINIMAL, "verify": {"tokenSecretArn": SECRET_ARN}})
    assert "must name a secret under milvus-layer7/tokens/" in reason
    assert validate({**MINIMAL, "verify": {"tokenSecretArn": TOKEN_ARN}}, STACK).verify.token_secret_arn == TOKEN_ARN


def test_dns_for_another_host_than_the_granted_record_is_refused():
    # Given a stack whose Route 53 grant names one record (context host with hostedZoneId)
    stack = FunctionEnvironment.from_environment({"CLUSTER_NAME": "milvus-eks", "DEFAULT_HOST": "milvus.example.com",
                                            "HOSTED_ZONE_ID": "Z0123456789ABC",
                                            "DNS_RECORD_NAME": "milvus.example.com"})
    # When a run asks for DNS for another host in that zone
    reason = refusal({"host": "other.example.com", "dns": {"hostedZoneId": "Z0123456789ABC"},
                      "certificate": {"secretArn": SECRET_ARN}}, stack)
    # Then it is refused up front (Route 53 would deny the change after the ALB exists)
    assert "may change only the record milvus.example.com" in reason
    same_host = {"dns": {"hostedZoneId": "Z0123456789ABC"}, "certificate": {"secretArn": SECRET_ARN}}
    assert validate(same_host, stack).hosted_zone_id == "Z0123456789ABC"


# --- the namespace the stack's RBAC binds, renewals (issue 17) ---------------------------------------------


def test_a_namespace_the_stacks_rbac_does_not_bind_is_refused_naming_the_context_key():
    # Given a stack deployed for namespace "vector" (its RoleBindings are there)
    # When an input names another namespace, Then Validate refuses before anything changes
    assert "namespace: 'milvus' is not the namespace the stack's Kubernetes RBAC binds ('vector', context " \
           "namespace)" in refusal({"namespace": "milvus"}, CONFIGURED)


def test_a_renewal_names_only_the_setup_and_leaves_the_rest_to_its_record():
    # Given a stack with a host and a certificate secret
    # When the rotation rule's input arrives
    request = validate({"renew": True}, CONFIGURED)
    # Then the request names the host and namespace, no certificate, and asks for a renewal
    assert (request.renew, request.host, request.namespace) == (True, "milvus.example.com", "vector")
    assert request.certificate.secret_arn is None and request.certificate.certificate_arn is None
    # And a host given by an operator is taken
    assert validate({"renew": True, "host": "Other.Example.com"}, CONFIGURED).host == "other.example.com"


def test_a_renewal_with_setup_fields_is_refused_naming_them():
    message = refusal({"renew": True, "scheme": "internal", "certificate": {"secretArn": SECRET_ARN}}, CONFIGURED)
    assert message == ("renew: a renewal re-applies the setup recorded for the host, with the certificate's current "
                       "value; it takes only host, clusterName and namespace, not certificate, scheme")


def test_replace_load_balancer_is_carried_for_read_setup_record():
    assert validate({**MINIMAL, "replaceLoadBalancer": True}, STACK).replace_load_balancer is True
    assert validate(MINIMAL, STACK).replace_load_balancer is False


def test_the_stack_an_event_names_routes_it_and_changes_nothing_in_the_request():
    # Given a request as an event's detail names its stack (docs/CONTRACT.md "Events": the rules route by it)
    # When it is validated, as a setup and as a renewal
    # Then it is the request without the field
    assert validate({**MINIMAL, "stack": "MilvusLayer7Dev"}, STACK) == validate(MINIMAL, STACK)
    assert validate({"renew": True, "stack": "MilvusLayer7Dev"}, CONFIGURED) == validate({"renew": True}, CONFIGURED)
