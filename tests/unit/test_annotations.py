"""Annotation values against the controller's documented types and AWS's limits (validate/annotations.py)."""

from __future__ import annotations

import pytest

from layer7.environment import FunctionEnvironment
from layer7.errors import InvalidInput
from validate.annotations import check_annotation, check_annotations
from validate.logic import validate

P = "alb.ingress.kubernetes.io/"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-tls-AbCdEf"
MINIMAL = {"host": "milvus.example.com", "certificate": {"secretArn": SECRET_ARN}}
STACK = FunctionEnvironment(cluster_name="milvus-eks", region="us-east-1")


def problems(name: str, value: str, **kwargs: str) -> list[str]:
    return check_annotation(P + name, value, **kwargs)


def field(name: str) -> str:
    return f"ingressAnnotations.{P}{name}: "


# --- every value ---------------------------------------------------------------------------------------------------


def test_a_newline_in_a_value_is_refused():
    # Given a health-check path with a newline in it
    # When it is checked
    found = problems("healthcheck-path", "/healthz\n")
    # Then the control character is named, with where it is
    assert found == [field("healthcheck-path") + "must not contain control characters (newline, tab, NUL, ...), "
                     "found U+000A at position 8"]


@pytest.mark.parametrize(("value", "code"), [("a\tb", "U+0009"), ("a\x00b", "U+0000"), ("a\x7fb", "U+007F")])
def test_tab_nul_and_delete_are_refused_too(value, code):
    assert problems("auth-scope", value) == [field("auth-scope") + "must not contain control characters (newline, "
                                             f"tab, NUL, ...), found {code} at position 1"]


def test_a_10000_character_health_check_path_is_refused_by_its_length_not_echoed():
    # Given a path the ALB would refuse (botocore Path: at most 1024)
    found = problems("healthcheck-path", "/" + "a" * 9999)
    # Then the message gives the length and the limit, not ten thousand characters
    assert found == [field("healthcheck-path") + "must be at most 1024 characters (the ALB's limit), not 10000"]


def test_a_health_check_path_must_start_with_a_slash():
    assert problems("healthcheck-path", "ping") == [field("healthcheck-path") + "must start with '/', not 'ping'"]


def test_the_annotations_together_are_bounded():
    # Given more annotation text than half of Kubernetes' 256 KiB per object
    found = check_annotations({P + "auth-scope": "a" * 140_000})
    # Then the total is refused
    assert found == ["ingressAnnotations: 140036 bytes in all, at most 131072 (Kubernetes allows 256 KiB of "
                     "annotations per object, and the workflow adds its own)"]


# --- the six encodings ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "10s", " 10", "1_0", "0x10", "", "2147483648"])
def test_an_integer_is_what_go_strconv_parses(value):
    assert problems("group.order", value) == [field("group.order") + f"must be an integer from -1000 to 1000, "
                                              f"not {value!r}"]


@pytest.mark.parametrize(("name", "value", "allowed"), [
    ("healthcheck-interval-seconds", "4", "an integer from 5 to 300 seconds"),
    ("healthcheck-interval-seconds", "301", "an integer from 5 to 300 seconds"),
    ("healthcheck-timeout-seconds", "1", "an integer from 2 to 120 seconds"),
    ("healthcheck-timeout-seconds", "121", "an integer from 2 to 120 seconds"),
    ("healthy-threshold-count", "1", "an integer from 2 to 10"),
    ("unhealthy-threshold-count", "11", "an integer from 2 to 10"),
    ("group.order", "1001", "an integer from -1000 to 1000"),
    ("ssl-redirect", "0", "an integer from 1 to 65535"),
    ("auth-session-timeout", "0", "an integer of at least 1 seconds"),
])
def test_integers_outside_the_documented_range_are_refused(name, value, allowed):
    assert problems(name, value) == [field(name) + f"must be {allowed}, not {value!r}"]


def test_a_signed_integer_is_an_integer_as_for_go():
    assert problems("group.order", "+10") == [] and problems("group.order", "-1000") == []


@pytest.mark.parametrize("value", ["true", "false", "True", "FALSE", "1", "0", "t", "F"])
def test_booleans_are_what_go_strconv_parses(value):
    assert problems("shield-advanced-protection", value) == []


def test_anything_else_is_not_a_boolean():
    assert problems("use-regex-path-match", "yes") == [field("use-regex-path-match") + "must be 'true' or 'false', "
                                                      "not 'yes'"]


def test_a_string_list_is_checked_entry_by_entry():
    # Given one CIDR without a prefix length among good ones (Go's net.ParseCIDR needs one)
    found = problems("inbound-cidrs", "10.0.0.0/24, 1.2.3.4, ::/0, 10.0.0.0/33")
    # Then each bad entry is named
    assert found == [field("inbound-cidrs") + "entry '1.2.3.4' must be a CIDR such as 10.0.0.0/16 or 2001:db8::/32",
                     field("inbound-cidrs") + "entry '10.0.0.0/33' must be a CIDR such as 10.0.0.0/16 or "
                     "2001:db8::/32"]


@pytest.mark.parametrize("value", ["foo", "=1", "a=1,b"])
def test_a_string_map_needs_key_value_pairs(value):
    assert problems("target-node-labels", value) == [field("target-node-labels") + "must be key=value pairs "
                                                    f"separated by commas (k1=v1,k2=v2), not {value!r}"]


@pytest.mark.parametrize(("value", "expected"), [
    ("{nope", 'must be valid JSON (a JSON object, e.g. {"type": "fixed-response", ...}), not \'{nope\''),
    ('{"a": NaN}', 'must be valid JSON (a JSON object, e.g. {"type": "fixed-response", ...}), not \'{"a": NaN}\''),
    ("[1]", 'must be a JSON object, e.g. {"type": "fixed-response", ...}'),
])
def test_json_must_parse_and_have_the_shape_the_controller_unmarshals(value, expected):
    assert problems("actions.response-503", value) == [field("actions.response-503") + expected]


def test_json_whitespace_is_allowed_but_other_control_characters_are_not():
    assert problems("conditions.milvus-demo", '[\n  {"field": "source-ip"}\n]\n') == []
    assert problems("conditions.milvus-demo", '[]\x00') == [field("conditions.milvus-demo") + "must not contain "
                                                           "control characters (newline, tab, NUL, ...), found "
                                                           "U+0000 at position 2"]


def test_an_enum_names_its_values():
    assert problems("ip-address-type", "ipv6") == [field("ip-address-type") + "must be one of 'ipv4', 'dualstack', "
                                                   "'dualstack-without-public-ipv4', not 'ipv6'"]


# --- rules AWS or the controller document --------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "protocol_version", "expected"), [
    ("200", "GRPC", "must be gRPC codes from 0 to 99: one ('0'), a list ('0,1') or a range ('0-5'), not '200'"),
    ("5-0", "GRPC", "must be gRPC codes from 0 to 99: one ('0'), a list ('0,1') or a range ('0-5'), not '5-0'"),
    ("0,", "GRPC", "must be gRPC codes from 0 to 99: one ('0'), a list ('0,1') or a range ('0-5'), not '0,'"),
    ("12", "HTTP1", "must be HTTP codes from 200 to 499: one ('200'), a list ('200,201') or a range ('200-205'), "
                    "not '12'"),
    ("200-500", "HTTP2", "must be HTTP codes from 200 to 499: one ('200'), a list ('200,201') or a range "
                         "('200-205'), not '200-500'"),
])
def test_success_codes_follow_the_matcher_of_the_protocol_version(value, protocol_version, expected):
    assert problems("success-codes", value, protocol_version=protocol_version) == [field("success-codes") + expected]


def test_the_load_balancer_attributes_are_the_albs_with_their_ranges():
    # Given an idle timeout above 4000 and a misspelt key
    found = problems("load-balancer-attributes", "idle_timeout.timeout_seconds=5000,deletion_protection=true")
    # Then both are named, the misspelling with the key it resembles
    assert found == [
        field("load-balancer-attributes") + "idle_timeout.timeout_seconds must be an integer from 1 to 4000, "
        "not '5000'",
        field("load-balancer-attributes") + "'deletion_protection' is not a load balancer attribute of an ALB "
        "(did you mean deletion_protection.enabled?)",
    ]


def test_the_target_group_attributes_are_an_alb_target_groups():
    found = problems("target-group-attributes", "slow_start.duration_seconds=10,stickiness.type=source_ip")
    assert found == [
        field("target-group-attributes") + "slow_start.duration_seconds must be an integer from 30 to 900, not '10'",
        field("target-group-attributes") + "stickiness.type must be one of 'lb_cookie', 'app_cookie', "
        "not 'source_ip'",
    ]


@pytest.mark.parametrize(("value", "expected"), [
    ("aws:team=a", "tag key 'aws:team' is reserved (aws:*, or one the controller sets itself)"),
    ("ingress.k8s.aws/stack=x", "tag key 'ingress.k8s.aws/stack' is reserved (aws:*, or one the controller sets "
                                "itself)"),
    ("k" * 129 + "=v", "tag key a 129-character value must be 1 to 128 letters, digits, spaces or _.:/=+-@"),
    ("team=a;b", "tag 'team': the value must be at most 256 letters, digits, spaces or _.:/=+-@"),
])
def test_tags_follow_the_elbv2_tag_rules(value, expected):
    assert problems("tags", value) == [field("tags") + expected]


@pytest.mark.parametrize(("value", "expected"), [
    ("My_Group", "must be lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, "
                 "not 'My_Group'"),
    ("-group", "must be lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, "
               "not '-group'"),
    ("a" * 64, "must be at most 63 characters, not 64"),
])
def test_a_group_name_follows_the_controllers_group_loader(value, expected):
    assert problems("group.name", value) == [field("group.name") + expected]


def test_an_ssl_policy_must_be_an_elb_security_policy_name():
    assert problems("ssl-policy", "TLS13") == [field("ssl-policy") + "must be an ELB security policy name such as "
                                               "ELBSecurityPolicy-TLS13-1-2-2021-06, not 'TLS13'"]


@pytest.mark.parametrize(("value", "expected"), [
    ("internal-milvus", "must be letters, digits and '-', not starting or ending with '-' or starting with "
                        "'internal-', not 'internal-milvus'"),
    ("a" * 33, "must be at most 32 characters, not 33"),
])
def test_a_load_balancer_name_follows_create_load_balancer(value, expected):
    assert problems("load-balancer-name", value) == [field("load-balancer-name") + expected]


def test_a_health_check_port_is_traffic_port_a_number_or_a_port_name():
    assert problems("healthcheck-port", "0") == [field("healthcheck-port") + "must be 'traffic-port', a port number "
                                                 "from 1 to 65535 or a port name of the Service, not '0'"]


def test_a_timeout_not_below_the_interval_is_refused():
    # Given a timeout of 30 s and no interval (the controller's default is 15 s)
    found = check_annotations({P + "healthcheck-timeout-seconds": "30"})
    # Then the API's rule (timeout smaller than interval) is applied before the API sees it
    assert found == [field("healthcheck-timeout-seconds") + "must be less than the health check interval "
                     "(15 seconds, the default: set healthcheck-interval-seconds too), not 30"]
    assert check_annotations({P + "healthcheck-timeout-seconds": "30", P + "healthcheck-interval-seconds": "60"}) == []
    # And an interval already refused for its range is not blamed on the timeout too
    assert check_annotations({P + "healthcheck-interval-seconds": "4"}) == []


# --- names ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "hint"), [
    ("healthcheck-paht", " (did you mean healthcheck-path, healthcheck-port or healthcheck-protocol?)"),
    ("web-acl-id", " (did you mean waf-acl-id?)"),  # in the source as deprecated, not in the docs
    ("sslpolicy", " (did you mean ssl-policy?)"),
    ("zzz", " (docs/guide/ingress/annotations.md lists them)"),
])
def test_an_undocumented_name_is_refused_with_the_names_it_resembles(name, hint):
    assert problems(name, "x") == [field(name) + "not an annotation the AWS Load Balancer Controller documents" + hint]


@pytest.mark.parametrize("name", ["actions.redirect", "conditions.milvus-demo", "transforms.milvus-demo",
                                  "listener-attributes.HTTPS-443", "target-control-port.milvus-demo.9091"])
def test_names_with_a_chosen_part_are_documented(name):
    value = {"actions.redirect": "{}", "listener-attributes.HTTPS-443": "routing.http.response.server.enabled=true",
             "target-control-port.milvus-demo.9091": "3000"}.get(name, "[]")
    assert problems(name, value) == []


# --- the controller's own examples pass ----------------------------------------------------------------------------

DOCUMENTED = [  # docs/guide/ingress/annotations.md, the values as its examples write them (YAML quotes removed)
    ("group.name", "my-team.awesome-group"), ("group.order", "10"), ("ssl-redirect", "443"),
    ("ip-address-type", "ipv4"), ("customer-owned-ipv4-pool", "ipv4pool-coip-xxxxxxxx"),
    ("load-balancer-name", "custom-name"), ("target-node-labels", "label1=value1, label2=value2"),
    ("backend-protocol", "HTTPS"), ("subnets", "subnet-xxxx, mySubnet"),
    ("ipam-ipv4-pool-id", "ipam-pool-0f995c17c00375b48"),
    ("actions.response-503", '{"type":"fixed-response","fixedResponseConfig":{"contentType":"text/plain",'
                             '"statusCode":"503","messageBody":"503 error text"}}\n'),
    ("actions.forward-single-tg", '{"type":"forward","targetGroupARN": "arn-of-your-target-group"}\n'),
    ("transforms.my-service", '[ { "type": "url-rewrite", "urlRewriteConfig": { "rewrites": [ { "regex": '
                              '"^\\\\/api\\\\/(.+)$", "replace": "/$1" } ] } } ]\n'),
    ("conditions.my-service", '[{ "field": "http-header", "httpHeaderConfig": { "httpHeaderName": "User-Agent", '
                              '"regexValues": [ ".+Chrome.+" ] } }]\n'),
    ("use-regex-path-match", "true"), ("inbound-cidrs", "10.0.0.0/24"),
    ("security-group-prefix-lists", "pl-000000, pl-111111"), ("security-groups", "sg-xxxx, nameOfSg1, nameOfSg2"),
    ("manage-backend-security-group-rules", "true"), ("auth-type", "cognito"),
    ("auth-idp-cognito", '{"userPoolARN":"arn:aws:cognito-idp:us-west-2:xxx:userpool/xxx",'
                         '"userPoolClientID":"my-clientID","userPoolDomain":"my-domain"}'),
    ("auth-on-unauthenticated-request", "authenticate"), ("auth-scope", "email openid"),
    ("auth-session-cookie", "custom-cookie"), ("auth-session-timeout", "86400"),
    ("jwt-validation", '{"jwksEndpoint":"https://example-endpoint.com","issuer":"https://example-issuer.com"}'),
    ("healthcheck-protocol", "HTTPS"), ("healthcheck-port", "traffic-port"), ("healthcheck-port", "my-port"),
    ("healthcheck-port", "80"), ("healthcheck-path", "/ping"), ("healthcheck-path", "/package.service/method"),
    ("healthcheck-interval-seconds", "10"), ("healthcheck-timeout-seconds", "8"), ("success-codes", "0"),
    ("success-codes", "0,1"), ("success-codes", "0-5"), ("healthy-threshold-count", "2"),
    ("unhealthy-threshold-count", "2"), ("ssl-policy", "ELBSecurityPolicy-TLS-1-1-2017-01"),
    ("mutual-authentication", '[{"port": 80, "mode": "passthrough"}, {"port": 443, "mode": "verify", "trustStore": '
                              '"arn:aws:elasticloadbalancing:trustStoreArn", "ignoreClientCertificateExpiry" : true}]'),
    ("create-acm-cert", "true"),
    ("acm-pca-arn", "arn:aws:acm-pca:eu-central-1:134051052098:certificate-authority/3728f28c-b201-4dfd-b329-"
                    "083833017297"),
    ("load-balancer-attributes", "access_logs.s3.enabled=true,access_logs.s3.bucket=my-access-log-bucket,"
                                 "access_logs.s3.prefix=my-app"),
    ("load-balancer-attributes", "routing.http.drop_invalid_header_fields.enabled=true"),
    ("load-balancer-attributes", "idle_timeout.timeout_seconds=600"),
    ("load-balancer-attributes", "client_keep_alive.seconds=3600"),
    ("target-group-attributes", "slow_start.duration_seconds=30"),
    ("target-group-attributes", "deregistration_delay.timeout_seconds=30"),
    ("target-group-attributes", "stickiness.enabled=true,stickiness.lb_cookie.duration_seconds=60"),
    ("target-group-attributes", "load_balancing.algorithm.type=weighted_random,"
                                "load_balancing.algorithm.anomaly_mitigation=on"),
    ("multi-cluster-target-group", "true"),
    ("listener-attributes.HTTP-80", "routing.http.response.server.enabled=true"),
    ("listener-attributes.HTTPS-443", "routing.http.response.access_control_allow_headers.header_value="
                                      "exampleValue\\,anotherExampleValue"),
    ("tags", "Environment=dev,Team=test"), ("minimum-load-balancer-capacity", "CapacityUnits=1000"),
    ("waf-acl-id", "499e8b99-6671-4614-a86d-adb1810b7fbe"), ("waf-acl-id", "none"),
    ("wafv2-acl-arn", "arn:aws:wafv2:us-west-2:xxxxx:regional/webacl/xxxxxxx/3ab78708-85b0-49d3-b4e1-7a9615a6613b"),
    ("wafv2-acl-arn", "none"), ("wafv2-acl-name", "web-acl-name-1"), ("shield-advanced-protection", "false"),
    ("enable-frontend-nlb", "true"), ("frontend-nlb-scheme", "internet-facing"),
    ("frontend-nlb-subnets", "subnet-xxxx1,subnet-xxxx2"), ("frontend-nlb-listener-port-mapping", "80=443"),
    ("frontend-nlb-healthcheck-port", "traffic-port"), ("frontend-nlb-healthcheck-path", "/health"),
    ("frontend-nlb-healthcheck-healthy-threshold-count", "3"), ("frontend-nlb-healthcheck-success-codes", "200"),
    ("frontend-nlb-tags", "Environment=prod,Team=platform"),
    ("frontend-nlb-eip-allocations", "eipalloc-xyz, eipalloc-zzz"),
    ("target-control-port.alb-target-control.80", "3000"),
    ("frontend-nlb-attributes", "load_balancing.cross_zone.enabled=true"),
]


@pytest.mark.parametrize(("name", "value"), DOCUMENTED)
def test_the_controllers_documented_examples_pass(name, value):
    assert problems(name, value) == []


# --- through Validate ----------------------------------------------------------------------------------------------


def test_validate_reports_bad_values_with_every_other_problem_at_once():
    # Given an input with a bad namespace and three bad annotation values
    raw = {**MINIMAL, "namespace": "Bad", "ingressAnnotations": {
        P + "healthcheck-path": "/" + "a" * 9999,
        P + "healthcheck-interval-seconds": "10\n",
        P + "healthcheck-pathh": "/",
    }}
    # When it is validated
    with pytest.raises(InvalidInput) as caught:
        validate(raw, STACK)
    # Then the execution fails with all of them, in one message
    assert str(caught.value).split("; ") == [
        "namespace: 'Bad' is not a DNS-1123 label (at most 63 characters of a-z, 0-9 and '-', starting and ending "
        "with a letter or digit)",
        field("healthcheck-path") + "must be at most 1024 characters (the ALB's limit), not 10000",
        field("healthcheck-interval-seconds") + "must not contain control characters (newline, tab, NUL, ...), "
        "found U+000A at position 2",
        field("healthcheck-pathh") + "not an annotation the AWS Load Balancer Controller documents (did you "
        "mean healthcheck-path, healthcheck-port or healthcheck-protocol?)",
    ]


def test_an_owned_annotation_is_still_refused_as_owned_whatever_its_value():
    with pytest.raises(InvalidInput, match=r"listen-ports: set by the workflow itself and cannot be overridden$"):
        validate({**MINIMAL, "ingressAnnotations": {P + "listen-ports": "\n"}}, STACK)
