"""The controller stand-in's annotation parsing: the real controller's errors, word for word (no server)."""

from __future__ import annotations

import pytest

from sandbox.controller.annotations import AnnotationRejected, parse
from sandbox.controller.parser import go_quote, split_key_value_pairs
from sandbox.controller.reconcile import LoadBalancerControllerStandIn, Rejected

P = "alb.ingress.kubernetes.io/"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e"
WORKFLOW = {P + "scheme": "internet-facing", P + "backend-protocol-version": "GRPC", P + "target-type": "ip",
            P + "listen-ports": '[{"HTTPS":443}]', P + "certificate-arn": CERT}
WHERE = "milvus/milvus-demo"
API = ("Failed deploy model due to operation error Elastic Load Balancing v2: {op}, https response error "
       "StatusCode: 400, RequestID: req-1, api error {error}")


def rejection(**annotations: str) -> tuple[str | None, str]:
    with pytest.raises(AnnotationRejected) as caught:
        parse({**WORKFLOW, **{P + name: value for name, value in annotations.items()}}, WHERE,
              request_id=lambda: "req-1")
    return caught.value.reason, caught.value.message


def build(message: str) -> tuple[str, str]:
    return "FailedBuildModel", f"Failed build model due to {message}"


def deploy(op: str, error: str) -> tuple[str, str]:
    return "FailedDeployModel", API.format(op=op, error=error)


# --- what the stand-in builds from ---------------------------------------------------------------------------------


def test_the_workflows_annotations_give_the_controllers_defaults():
    # Given the annotations ApplyIngress writes
    # When the stand-in parses them
    settings = parse(WORKFLOW, WHERE)
    # Then it builds what the controller would: a GRPC target group with the controller's health-check defaults
    assert (settings["scheme"], settings["listeners"], settings["certificate_arn"]) == (
        "internet-facing", [("HTTPS", 443)], CERT)
    assert (settings["target_type"], settings["protocol_version"], settings["grpc"]) == ("ip", "GRPC", True)
    assert settings["ssl_policy"] == "ELBSecurityPolicy-2016-08"
    assert settings["health_check"] == {"port": "traffic-port", "protocol": "HTTP", "path": "/AWS.ALB/healthcheck",
                                        "interval_seconds": 15, "timeout_seconds": 5, "healthy_threshold_count": 2,
                                        "unhealthy_threshold_count": 2}
    assert settings["matcher"] == {"GrpcCode": "12"}


def test_without_listen_ports_a_certificate_means_https_443():
    settings = parse({P + "certificate-arn": CERT}, WHERE)
    assert settings["listeners"] == [("HTTPS", 443)] and parse({}, WHERE)["listeners"] == [("HTTP", 80)]


def test_given_values_are_read_into_the_settings():
    settings = parse({**WORKFLOW, P + "healthcheck-interval-seconds": "+30", P + "success-codes": "0-5",
                      P + "load-balancer-attributes": "idle_timeout.timeout_seconds=600",
                      P + "ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}, WHERE)
    assert settings["health_check"]["interval_seconds"] == 30 and settings["matcher"] == {"GrpcCode": "0-5"}
    assert settings["load_balancer_attributes"] == {"idle_timeout.timeout_seconds": "600"}
    assert settings["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"


# --- parser.go -----------------------------------------------------------------------------------------------------


def test_a_newline_in_an_integer_fails_the_int32_parse_with_go_quoting():
    assert rejection(**{"healthcheck-interval-seconds": "10\n"}) == build(
        "ingress: milvus/milvus-demo: failed to parse int32 annotation, "
        "alb.ingress.kubernetes.io/healthcheck-interval-seconds: 10\n: strconv.ParseInt: parsing \"10\\n\": "
        "invalid syntax")


def test_an_integer_beyond_int32_is_out_of_range():
    assert rejection(**{"unhealthy-threshold-count": "99999999999"}) == build(
        "ingress: milvus/milvus-demo: failed to parse int32 annotation, "
        "alb.ingress.kubernetes.io/unhealthy-threshold-count: 99999999999: strconv.ParseInt: parsing "
        "\"99999999999\": value out of range")


def test_a_boolean_is_what_strconv_parse_bool_accepts():
    assert rejection(**{"multi-cluster-target-group": "yes"}) == build(
        "ingress: milvus/milvus-demo: failed to parse bool annotation, "
        "alb.ingress.kubernetes.io/multi-cluster-target-group: yes: strconv.ParseBool: parsing \"yes\": "
        "invalid syntax")


def test_a_malformed_string_map_names_the_annotation_and_its_value():
    assert rejection(**{"load-balancer-attributes": "idle_timeout.timeout_seconds"}) == build(
        "failed to parse stringMap annotation, alb.ingress.kubernetes.io/load-balancer-attributes: "
        "idle_timeout.timeout_seconds")


@pytest.mark.parametrize(("text", "pairs"), [
    ("a=1,b=2", ["a=1", "b=2"]),
    ("k=a\\,b", ["k=a,b"]),
    ("a=1,2", ["a=1", "2"]),  # a ',' splits before text without '=': the part then fails to parse
    ("a=1,", ["a=1,"]),
])
def test_key_value_pairs_split_as_parser_go_splits_them(text, pairs):
    assert split_key_value_pairs(text) == pairs


@pytest.mark.parametrize(("text", "quoted"), [("10\n", '"10\\n"'), ("a\tb\x00", '"a\\tb\\x00"'), ('"é"', '"\\"é\\""'),
                                              ("\u200b", '"\\u200b"')])
def test_values_are_quoted_as_go_strconv_quote_does(text, quoted):
    assert go_quote(text) == quoted


# --- the model builder ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "error"), [
    ('[{"HTTPS": 443', "failed to parse listen-ports configuration: `[{\"HTTPS\": 443`: unexpected end of JSON input"),
    ("nope", "failed to parse listen-ports configuration: `nope`: invalid character 'n' looking for beginning of "
             "value"),
    ('[{"HTTPS": 443} {}]', "failed to parse listen-ports configuration: `[{\"HTTPS\": 443} {}]`: invalid character "
                            "'{' after array element"),
    ('{"HTTPS": 443}', "failed to parse listen-ports configuration: `{\"HTTPS\": 443}`: json: cannot unmarshal "
                       "object into Go value of type []map[string]int32"),
    ('[{"HTTPS": "443"}]', "failed to parse listen-ports configuration: `[{\"HTTPS\": \"443\"}]`: json: cannot "
                           "unmarshal string into Go value of type int32"),
    ('[{"HTTPS": 1.5}]', "failed to parse listen-ports configuration: `[{\"HTTPS\": 1.5}]`: json: cannot unmarshal "
                         "number 1.5 into Go value of type int32"),
    ("[]", "empty listen-ports configuration: `[]`"),
    ('[{"HTTPS": 70000}]', "listen port must be within [1, 65535]: 70000"),
    ('[{"TCP": 443}]', "listen protocol must be within [HTTP, HTTPS]: TCP"),
])
def test_listen_ports_fail_as_compute_ingress_listen_ports_does(value, error):
    assert rejection(**{"listen-ports": value}) == build(f"ingress: milvus/milvus-demo: {error}")


@pytest.mark.parametrize(("name", "value", "error"), [
    ("scheme", "public", "unknown scheme: public"),
    ("ip-address-type", "ipv6", "unknown IPAddressType: ipv6"),
    ("load-balancer-name", "a" * 33, "load balancer name cannot be longer than 32 characters"),
    ("ssl-redirect", "80", "listener does not exist for SSLRedirect port: 80"),
    ("customer-owned-ipv4-pool", "", "cannot use empty value for customer-owned-ipv4-pool annotation, ingress: "
                                     "milvus/milvus-demo"),
    ("inbound-cidrs", "10.0.0.0/8, 1.2.3.4", "ingress: milvus/milvus-demo: invalid inbound-cidrs settings on "
                                             "Ingress: milvus/milvus-demo: invalid CIDR address: 1.2.3.4"),
    ("target-type", "pod", "ingress: milvus/milvus-demo: unknown targetType: pod"),
    ("backend-protocol", "https", "ingress: milvus/milvus-demo: backend protocol must be within [HTTP, HTTPS]: "
                                  "https"),
    ("backend-protocol-version", "grpc", "ingress: milvus/milvus-demo: backend protocol version must be within "
                                         "[HTTP1, HTTP2, GRPC]: grpc"),
    ("healthcheck-protocol", "TCP", "ingress: milvus/milvus-demo: healthCheckProtocol must be within [HTTP, HTTPS]"),
])
def test_the_model_builders_own_checks(name, value, error):
    assert rejection(**{name: value}) == build(error)


def test_a_bad_group_name_is_a_failed_load_group_id_event():
    assert rejection(**{"group.name": "My_Group"}) == (
        "FailedLoadGroupID", "failed load groupID due to invalid ingress group: groupName must consist of lower case "
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character")
    assert rejection(**{"group.name": "a" * 64}) == (
        "FailedLoadGroupID", "failed load groupID due to invalid ingress group: groupName must be no more than 63 "
        "characters")


def test_a_bad_group_order_fails_the_group_load_with_no_event():
    assert rejection(**{"group.order": "5000"}) == (
        None, "explicit Ingress group order must be within [-1000:1000], Ingress: milvus/milvus-demo, order: 5000")
    assert rejection(**{"group.order": "x"}) == (
        None, "failed to load Ingress group order for ingress: milvus/milvus-demo: failed to parse int32 annotation, "
              "alb.ingress.kubernetes.io/group.order: x: strconv.ParseInt: parsing \"x\": invalid syntax")


# --- the ELBv2 API -------------------------------------------------------------------------------------------------


def test_an_interval_outside_5_to_300_fails_at_create_target_group():
    assert rejection(**{"healthcheck-interval-seconds": "400"}) == deploy(
        "CreateTargetGroup", "ValidationError: 1 validation error detected: Value '400' at "
        "'healthCheckIntervalSeconds' failed to satisfy constraint: Member must have value less than or equal to 300")


def test_every_constraint_broken_in_one_call_is_reported_together():
    assert rejection(**{"healthcheck-timeout-seconds": "1", "healthy-threshold-count": "11"}) == deploy(
        "CreateTargetGroup", "ValidationError: 2 validation errors detected: Value '1' at 'healthCheckTimeoutSeconds' "
        "failed to satisfy constraint: Member must have value greater than or equal to 2; Value '11' at "
        "'healthyThresholdCount' failed to satisfy constraint: Member must have value less than or equal to 10")


def test_a_10000_character_health_check_path_fails_at_create_target_group():
    path = "/" + "a" * 9999
    assert rejection(**{"healthcheck-path": path}) == deploy(
        "CreateTargetGroup", f"ValidationError: 1 validation error detected: Value '{path}' at 'healthCheckPath' "
        "failed to satisfy constraint: Member must have length less than or equal to 1024")


@pytest.mark.parametrize("path", ["/healthz\n", "healthz"])
def test_a_path_with_a_newline_or_without_a_slash_is_refused_by_the_api(path):
    assert rejection(**{"healthcheck-path": path}) == deploy(
        "CreateTargetGroup", "ValidationError: Health check path must start with '/' and contain only printable "
        "characters")


def test_a_timeout_not_below_the_interval_is_refused_by_the_api():
    assert rejection(**{"healthcheck-timeout-seconds": "15"}) == deploy(
        "CreateTargetGroup", "ValidationError: Health check timeout '15' must be smaller than the interval '15'")


def test_http_codes_on_a_grpc_target_group_are_refused():
    assert rejection(**{"success-codes": "200"}) == deploy(
        "CreateTargetGroup", "ValidationError: Health check matcher gRPC code '200' must be within '0-99'")


def test_a_tag_value_over_256_characters_is_refused():
    value = "v" * 257
    assert rejection(tags=f"team={value}") == deploy(
        "CreateTargetGroup", f"ValidationError: 1 validation error detected: Value '{value}' at 'tags.4.member.value' "
        "failed to satisfy constraint: Member must have length less than or equal to 256")


@pytest.mark.parametrize(("attributes", "op", "error"), [
    ("idle_timeout.timeout_seconds=5000", "ModifyLoadBalancerAttributes",
     "ValidationError: 'idle_timeout.timeout_seconds' value '5000' must be between '1-4000' inclusive"),
    ("idle_timeout=60", "ModifyLoadBalancerAttributes", "InvalidConfigurationRequest: Key idle_timeout not valid"),
    ("deletion_protection.enabled=yes", "ModifyLoadBalancerAttributes",
     "ValidationError: 'yes' must be one of [true, false]"),
])
def test_load_balancer_attributes_are_checked_by_the_api(attributes, op, error):
    assert rejection(**{"load-balancer-attributes": attributes}) == deploy(op, error)


@pytest.mark.parametrize(("attributes", "error"), [
    ("deregistration_delay.timeout_seconds=4000",
     "ValidationError: 'deregistration_delay.timeout_seconds' value '4000' must be between '0-3600' inclusive"),
    ("slow_start.duration_seconds=10",
     "ValidationError: 'slow_start.duration_seconds' value '10' must be between '30-900' inclusive"),
    ("stickiness.kind=lb_cookie", "ValidationError: Target group attribute key 'stickiness.kind' is not recognized"),
])
def test_target_group_attributes_are_checked_by_the_api(attributes, error):
    assert rejection(**{"target-group-attributes": attributes}) == deploy("ModifyTargetGroupAttributes", error)


def test_an_unknown_ssl_policy_fails_at_create_listener():
    assert rejection(**{"ssl-policy": "ELBSecurityPolicy-TLS13"}) == deploy(
        "CreateListener", "SSLPolicyNotFound: SSL policy 'ELBSecurityPolicy-TLS13' not found")


def test_a_load_balancer_name_the_api_refuses():
    assert rejection(**{"load-balancer-name": "internal-milvus"}) == deploy(
        "CreateLoadBalancer", "ValidationError: Load balancer name 'internal-milvus' cannot begin or end with '-', "
        "or begin with 'internal-'")


# --- through the stand-in ------------------------------------------------------------------------------------------


class NoKube:
    def get(self, *args):
        raise AssertionError("a bad annotation is refused before the Service is read")


def stand_in() -> LoadBalancerControllerStandIn:
    return LoadBalancerControllerStandIn(NoKube(), elbv2=None, acm=None, ec2_subnet_ids=[], vpc_id="vpc-1",
                                         cluster_name="milvus-eks", elbv2_backend_getter=lambda: None)


def ingress(**annotations: str) -> dict:
    return {"metadata": {"namespace": "milvus", "name": "milvus-demo",
                         "annotations": {**WORKFLOW, **{P + k: v for k, v in annotations.items()}}},
            "spec": {"rules": [{"host": "milvus.example.com", "http": {"paths": [{"path": "/", "backend": {
                "service": {"name": "milvus-demo", "port": {"number": 19530}}}}]}}]}}


def test_the_stand_in_rejects_a_bad_value_with_the_controllers_event():
    with pytest.raises(Rejected) as caught:
        stand_in()._plan(ingress(**{"healthcheck-interval-seconds": "abc"}))
    assert (caught.value.reason, str(caught.value)) == build(
        "ingress: milvus/milvus-demo: failed to parse int32 annotation, "
        "alb.ingress.kubernetes.io/healthcheck-interval-seconds: abc: strconv.ParseInt: parsing \"abc\": "
        "invalid syntax")


def test_where_the_controller_records_no_event_the_stand_in_says_failed_build_model():
    with pytest.raises(Rejected) as caught:
        stand_in()._plan(ingress(**{"group.order": "5000"}))
    assert caught.value.reason == "FailedBuildModel"
