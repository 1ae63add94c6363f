"""Failure paths, rotation and key hygiene, through the sandbox's Python API.

The session's sandbox, reset once for the module, so the scenarios run in the order a
person would meet them: bad input, a certificate for the wrong host, then a
good run, then a rotated certificate. After each failure the Service must
still be a LoadBalancer.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import time
import warnings
from datetime import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from layer7ctl.executions import follow
from sandbox.cli.demo import DemoOptions, execution_input, run_once
from sandbox.environment import HOST, Sandbox
from testkit.certs import make_ca, write_cert_dir

pytestmark = pytest.mark.e2e
QUIET = DemoOptions(json=True)
CATCH_ALL_GROUP = "/sandbox/milvus-layer7-events"


@pytest.fixture(scope="module")
def sandbox(fresh_sandbox):
    box = fresh_sandbox()
    _deliver_all_events_to_a_log_group(box)
    return box


def _deliver_all_events_to_a_log_group(box: Sandbox) -> None:
    logs, events = box.aws.client("logs"), box.aws.client("events")
    logs.create_log_group(logGroupName=CATCH_ALL_GROUP)
    group_arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{CATCH_ALL_GROUP}"
    events.put_rule(Name="catch-all-layer7", EventPattern=json.dumps({"source": ["milvus.layer7"]}))
    events.put_targets(Rule="catch-all-layer7", Targets=[{"Id": "logs", "Arn": group_arn}])


def _run(box: Sandbox, **overrides):
    detail = execution_input(QUIET, HOST, box.secret_arn)
    detail.update(overrides)
    return run_once(box, QUIET, detail, run=1)


def _service_type(box: Sandbox) -> str:
    return box.cluster_view()["service"]["spec"]["type"]


def test_invalid_input_fails_at_validate_and_changes_nothing(sandbox):
    record = _run(sandbox, servicePort="19530", surprise=True)
    assert record.status == "FAILED"
    assert record.error == "InvalidInput"
    assert "ImportCertificate" not in record.states
    assert sandbox.certificate_count() == 0
    assert sandbox.cluster_view()["ingresses"] == []
    assert _service_type(sandbox) == "LoadBalancer"


def test_certificate_for_another_host_is_invalid(sandbox, tmp_path):
    write_cert_dir(tmp_path, "other.example.org")
    sandbox.put_certificate(tmp_path)
    record = _run(sandbox)
    assert record.error == "CertificateInvalid"
    assert HOST in record.cause
    assert sandbox.certificate_count() == 0
    assert _service_type(sandbox) == "LoadBalancer"


def _start(box: Sandbox, text: str):
    sfn = box.aws.client("stepfunctions")
    started = time.time()
    arn = sfn.start_execution(stateMachineArn=box.state_machine_arn, input=text)["executionArn"]
    return follow(sfn, arn, started)


def _failed_event(box: Sandbox, execution_arn: str) -> dict:
    """The "Setup Failed" event of one execution, as the catch-all rule delivered it."""
    logs = box.aws.client("logs")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for event in logs.filter_log_events(logGroupName=CATCH_ALL_GROUP).get("events", []):
            message = json.loads(event["message"])
            if message.get("detail-type") == "Milvus Layer7 Setup Failed" and \
                    message["detail"].get("executionArn") == execution_arn:
                return message["detail"]
        time.sleep(0.5)
    raise AssertionError(f"no Setup Failed event for {execution_arn}")


def _refused_at_validate(box: Sandbox, record, *, names: str) -> None:
    """InvalidInput at Validate, the failure event published, and nothing in the cluster changed."""
    assert (record.status, record.error) == ("FAILED", "InvalidInput"), (record.error, record.cause)
    assert names in record.cause
    assert "ImportCertificate" not in record.states and "PublishFailed" in record.states
    detail = _failed_event(box, record.execution_arn)
    assert detail["error"] == "InvalidInput" and names in detail["cause"]
    assert box.cluster_view()["ingresses"] == [] and _service_type(box) == "LoadBalancer"


def test_an_input_of_255_kib_is_invalid_input_with_the_failure_event(sandbox):
    # Given an input just under Step Functions' 256 KiB, in a field nobody reads
    detail = execution_input(QUIET, HOST, sandbox.secret_arn)
    detail["ingressAnnotations"] = {"alb.ingress.kubernetes.io/tags": "team=" + "x" * (255 * 1024 - 400)}
    text = json.dumps(detail)
    assert 254 * 1024 < len(text.encode()) < 256 * 1024
    # When it is started with StartExecution
    record = _start(sandbox, text)
    # Then Validate refuses it by its budget, naming the largest field, and the failure path runs
    _refused_at_validate(sandbox, record, names="'ingressAnnotations'")
    assert "input budget" in record.cause


def test_an_input_over_256_kib_is_refused_by_step_functions_itself(sandbox):
    sfn = sandbox.aws.client("stepfunctions")
    with pytest.raises(sfn.exceptions.ValidationException, match="262144"):
        sfn.start_execution(stateMachineArn=sandbox.state_machine_arn, input=json.dumps({"x": "y" * 262144}))


@pytest.mark.parametrize("text", ["[1, 2]", "\"x\"", "42", "null"])
def test_an_input_that_is_not_an_object_is_invalid_input_with_the_failure_event(sandbox, text):
    _refused_at_validate(sandbox, _start(sandbox, text), names="JSON object")


def test_a_bad_annotation_value_is_invalid_input_with_the_failure_event(sandbox):
    # A health-check path longer than the ALB's 1,024 characters, with a newline in it
    detail = execution_input(QUIET, HOST, sandbox.secret_arn)
    detail["ingressAnnotations"] = {"alb.ingress.kubernetes.io/healthcheck-path": "/" + "a" * 1100 + "\n"}
    _refused_at_validate(sandbox, _start(sandbox, json.dumps(detail)),
                         names="alb.ingress.kubernetes.io/healthcheck-path")


def test_rotated_certificate_is_reimported_into_the_same_arn(sandbox, tmp_path):
    # Given a successful run with one certificate
    write_cert_dir(tmp_path / "first", HOST)
    sandbox.put_certificate(tmp_path / "first")
    first = _run(sandbox)
    assert first.status == "SUCCEEDED", (first.error, first.cause)
    assert _service_type(sandbox) == "ClusterIP"
    # When the secret gets a new certificate for the same host
    write_cert_dir(tmp_path / "second", HOST)
    sandbox.put_certificate(tmp_path / "second")
    second = _run(sandbox)
    # Then it is imported again, into the same ARN, and the ALB serves the new one
    assert second.status == "SUCCEEDED", (second.error, second.cause)
    assert second.output["certificateImported"] is True
    assert second.output["certificateArn"] == first.output["certificateArn"]
    assert sandbox.certificate_count() == 1
    acm = sandbox.aws.client("acm").describe_certificate(CertificateArn=second.output["certificateArn"])
    new_leaf = x509.load_pem_x509_certificate((tmp_path / "second" / "certificate.pem").read_bytes())
    assert _serial(acm["Certificate"]["Serial"]) == new_leaf.serial_number


def test_the_alb_refuses_tls_1_1_serves_tls_1_2_and_presents_the_imported_certificate(sandbox, tmp_path):
    # Given a run with the workflow's defaults
    record = _run(sandbox)
    assert record.status == "SUCCEEDED", (record.error, record.cause)
    [ingress] = sandbox.cluster_view()["ingresses"]
    assert ingress["annotations"]["alb.ingress.kubernetes.io/ssl-policy"] == \
        "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
    assert ingress["annotations"]["alb.ingress.kubernetes.io/load-balancer-attributes"] == \
        "idle_timeout.timeout_seconds=300"
    # Then the ALB's listener (nginx) refuses a client that speaks at most TLS 1.1, and serves TLS 1.2
    port = sandbox.nginx.listen_port
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the enum's TLS 1.1 is deprecated, as the protocol is
        assert _handshake(port, ssl.TLSVersion.TLSv1_1) == "TLSV1_ALERT_PROTOCOL_VERSION"
    assert _handshake(port, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    # And VerifyGrpc recorded the certificate the ALB presented, the one ACM holds, over TLS 1.3
    acm = sandbox.aws.client("acm").get_certificate(CertificateArn=record.output["certificateArn"])
    leaf = x509.load_pem_x509_certificate(acm["Certificate"].encode())
    assert record.output["verification"]["certificateFingerprintSha256"] == leaf.fingerprint(hashes.SHA256()).hex()
    assert record.output["verification"]["tlsVersion"] == "TLSv1.3"


def test_a_rotation_the_alb_has_not_picked_up_fails_verification_naming_both_certificates(sandbox, tmp_path):
    # Given the endpoint set up, and an ALB that does not pick up the re-import (the watcher paused)
    served = sandbox.nginx.served_certificate_sha256()
    write_cert_dir(tmp_path, HOST)
    new = x509.load_pem_x509_certificate((tmp_path / "certificate.pem").read_bytes()).fingerprint(hashes.SHA256()).hex()
    sandbox.reimports.pause()
    try:
        # When the secret gets a new certificate and the workflow runs
        sandbox.put_certificate(tmp_path)
        record = _run(sandbox)
    finally:
        sandbox.reimports.resume()
    # Then VerifyGrpc fails: the ALB still serves the previous certificate (from the previous CA, which the new
    # chain does not trust), and the cause names both
    assert record.error == "VerificationFailed", (record.error, record.cause)
    assert f"still serves another certificate for {HOST}: SHA-256 {served} (and not trusted for {HOST}: " \
           "self-signed certificate in certificate chain)" in record.cause
    assert f"not {new}, the one this run imported into {record_arn(sandbox)}" in record.cause
    assert "RemoveLayer4" not in record.states and "PublishFailed" in record.states
    # And once the ALB serves it, the next run succeeds
    deadline = time.monotonic() + 10
    while sandbox.nginx.served_certificate_sha256() != new and time.monotonic() < deadline:
        time.sleep(0.1)
    again = _run(sandbox)
    assert again.status == "SUCCEEDED", (again.error, again.cause)
    assert again.output["verification"]["certificateFingerprintSha256"] == new


def test_two_runs_for_one_host_at_once_one_goes_on_the_other_changes_nothing(sandbox):
    # Given two executions for the same host started at the same moment (a rotation and a person, say)
    sfn = sandbox.aws.client("stepfunctions")
    detail = json.dumps(execution_input(QUIET, HOST, sandbox.secret_arn))
    started = time.time()
    arns = [sfn.start_execution(stateMachineArn=sandbox.state_machine_arn, input=detail)["executionArn"]
            for _ in range(2)]
    records = [follow(sfn, arn, started) for arn in arns]
    # Then exactly one went on; the other ended at Validate with RunInProgress, naming the first
    by_status = {record.status: record for record in records}
    assert set(by_status) == {"SUCCEEDED", "FAILED"}, [(r.status, r.error, r.cause) for r in records]
    refused = by_status["FAILED"]
    assert refused.error == "RunInProgress" and by_status["SUCCEEDED"].execution_arn in refused.cause
    assert "ImportCertificate" not in refused.states
    assert sandbox.certificate_count() == 1
    # and the host's run lock went back when the first one ended (the refused one never held it)
    dynamodb = sandbox.aws.client("dynamodb")
    assert [dynamodb.scan(TableName=name)["Items"] for name in dynamodb.list_tables()["TableNames"]] == [[]]


def test_a_renewal_with_another_key_type_gets_a_new_certificate_and_is_served(sandbox, tmp_path):
    # Given the endpoint set up with an EC certificate (the runs before this one)
    before = _run(sandbox)
    assert before.status == "SUCCEEDED", (before.error, before.cause)
    # When the secret gets a renewal with an RSA key (ACM refuses to re-import another key type)
    write_cert_dir(tmp_path, HOST, "rsa2048")
    sandbox.put_certificate(tmp_path)
    record = _run(sandbox)
    # Then it is a new certificate, the Ingress serves it, and the old one is named as left behind
    assert record.status == "SUCCEEDED", (record.error, record.cause)
    assert record.output["certificateArn"] != before.output["certificateArn"]
    assert any(before.output["certificateArn"] in warning for warning in record.output["warnings"])
    [ingress] = sandbox.cluster_view()["ingresses"]
    assert ingress["annotations"]["alb.ingress.kubernetes.io/certificate-arn"] == record.output["certificateArn"]
    assert sandbox.certificate_count() == 2


def test_tls_to_the_api_server_answered_by_another_authority_is_network_misconfigured(sandbox):
    # Given DescribeCluster's CA is not the one the endpoint's certificate chains to (a TLS proxy in between)
    from moto.eks.models import eks_backends

    cluster = eks_backends["123456789012"]["us-east-1"].clusters["milvus-eks"]
    real = cluster.certificate_authority
    proxy_ca = make_ca("a proxy's CA").certificate_pem
    cluster.certificate_authority = {"data": base64.b64encode(proxy_ca.encode()).decode()}
    try:
        record = _run(sandbox)
    finally:
        cluster.certificate_authority = real
    # Then the run ends with the named error and its remedy, not an unnamed crash
    assert record.error == "NetworkMisconfigured", (record.error, record.cause)
    assert "TLS-inspecting proxy" in record.cause


def test_no_private_key_in_history_logs_or_events(sandbox):
    sfn, logs = sandbox.aws.client("stepfunctions"), sandbox.aws.client("logs")
    texts = []
    for execution in sfn.list_executions(stateMachineArn=sandbox.state_machine_arn)["executions"]:
        history = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)
        texts.append(json.dumps(history["events"], default=_iso))
    groups = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
    lambda_groups = [g for g in groups if "lambda" in g.lower() or "MilvusLayer7" in g]
    assert lambda_groups, groups
    delivered = []
    for group in [*lambda_groups, CATCH_ALL_GROUP]:
        for event in logs.filter_log_events(logGroupName=group).get("events", []):
            texts.append(event["message"])
            if group == CATCH_ALL_GROUP:
                delivered.append(event["message"])
    assert any("Endpoint Ready" in m for m in delivered) and any("Setup Failed" in m for m in delivered)
    assert texts and all("PRIVATE KEY" not in t for t in texts)


def record_arn(box: Sandbox) -> str:
    """The certificate ARN the Ingress names (one Ingress in the sandbox)."""
    [ingress] = box.cluster_view()["ingresses"]
    return ingress["annotations"]["alb.ingress.kubernetes.io/certificate-arn"]


def _handshake(port: int, maximum: ssl.TLSVersion) -> str:
    """The version a client speaking at most ``maximum`` negotiates with the listener, or the alert it got.

    Below TLS 1.2, OpenSSL 3 offers nothing unless told security level 0.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.minimum_version, context.maximum_version = ssl.TLSVersion.MINIMUM_SUPPORTED, maximum
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname=HOST) as tls:
                return str(tls.version())
    except ssl.SSLError as exc:
        return exc.reason or str(exc)


def _serial(text: str) -> int:
    """ACM writes serials as colon-separated hex; moto as a decimal string."""
    return int(text.replace(":", ""), 16) if ":" in text else int(text)


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else str(value)
