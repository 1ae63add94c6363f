"""CheckDrift: the host's setup as it is now, held to the setup recorded for it; it only reads.

The reference is the record ApplyIngress keeps on the Ingress (``milvus-layer7/setup``, layer7.setup_record)
and what the workflow makes of it: the Ingress as ApplyIngress would apply it (layer7.ingress_manifest), the
Service ClusterIP unless the record says ``layer4: keep``, the ALB active, of the recorded scheme, serving the
Ingress's certificate on the recorded port with a healthy target, the certificate far enough from its end, and,
with ``hostedZoneId``, the host's alias pointing at the ALB. Each difference is one ``Finding`` (its kind is
contract: docs/CONTRACT.md, "Drift check").

``recorded_hosts`` (input ``listHosts``) lists what the scheduled check (stacks/drift_schedule.py) then checks
one host at a time: the hosts recorded in the namespace, one Kubernetes call.

Bounded calls, whatever the cluster and the account hold: Kubernetes 4 (list this workflow's Ingresses, get the
Ingress, get the Service, list the Ingress's Events), ELBv2 5 (layer7.load_balancers: the ALB by name, its
listeners, its target groups, their tags, this Ingress's own target group's health), ACM 1, Route 53 1, and, only
for a certificate near its end whose setup names a secret, Secrets Manager 1 (check_drift/repairs.py). A setup
that imported its certificate from a secret: ACM 2 more (GetCertificate, ListTagsForCertificate), the content
held against the fingerprint ImportCertificate tagged it with (a re-import by hand keeps the tags). When the ALB
is active and its listener names the certificate: one TLS handshake with the ALB as the host's clients make it
(SNI = host, layer7.served_certificate), and GetCertificate if not read already, since a listener that names the
ARN may still present another certificate (a re-import not yet live, another certificate on the listener for the
host).

The report's ``repairs`` says what the drift state machine may repair (only when its input asks,
stacks/drift_schedule.py); the check itself never writes.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from check_drift import repairs
from check_drift.models import DriftReport, Finding, RecordedHosts
from layer7 import aws, setup_record
from layer7 import kube as k8s
from layer7.controller_events import controller_failure
from layer7.dns_records import normalized, records_at
from layer7.dualstack import is_dualstack
from layer7.ingress import ingress_hostname, read_ingress
from layer7.ingress_defaults import ALB
from layer7.ingress_manifest import ingress_manifest
from layer7.layer4 import CLUSTER_IP, LOAD_BALANCER, LOAD_BALANCER_ONLY_FIELDS, layer4_address
from layer7.load_balancers import find_load_balancer, healthy_targets, owner_of
from layer7.managed_certificates import certificate_tags
from layer7.milvus_grpc import write_ca_bundle
from layer7.models import SetupRequest
from layer7.observability import logger
from layer7.ownership import TAG_FINGERPRINT
from layer7.served_certificate import (
    PresentedCertificate,
    expected_fingerprint,
    presented_certificate,
    same_fingerprint,
)

CERTIFICATE_ARN_ANNOTATION = f"{ALB}certificate-arn"
# What puts the recorded setup back: a renewal re-applies exactly the recorded request (ReadSetupRecord).
RENEW = ('start the setup again for the host (`{{"renew": true, "host": "{host}"}}`, layer7ctl start): it '
         're-applies the recorded setup')


def _finding(kind: str, what: str, means: str, do: str) -> Finding:
    return Finding(kind=kind, what=what, means=means, do=do)


def service_findings(kube: k8s.Kube, request: SetupRequest) -> list[Finding]:
    where = f"Service {request.namespace}/{request.service_name}"
    try:
        service = kube.get(k8s.service_path(request.namespace, request.service_name), f"read {where}")
    except k8s.NotFound:
        return [_finding("ServiceMissing", f"{where} does not exist",
                         "the ALB has no backend: clients through the host get errors",
                         f"restore the Milvus release's Service, then {RENEW.format(host=request.host)}")]
    spec = service.get("spec") or {}
    service_type = str(spec.get("type") or CLUSTER_IP)
    if request.layer4 == "remove" and service_type != CLUSTER_IP:
        back = [name for name in LOAD_BALANCER_ONLY_FIELDS if spec.get(name) is not None]
        return [_finding(
            "Layer4Back",
            f"{where} is {service_type} again (address {layer4_address(service) or 'pending'}"
            f"{'; back: ' + ', '.join(back) if back else ''}); the setup removed its Layer-4 load balancer",
            "a helm upgrade (the chart renders service.type LoadBalancer unless the release's values say ClusterIP) "
            "or a hand edit brought a second, public Layer-4 load balancer back: it bypasses the ALB's TLS and "
            "costs money",
            f"set service.type=ClusterIP in the Helm release's values (helm upgrade ... --reuse-values --set "
            f"service.type=ClusterIP), or {RENEW.format(host=request.host)}, whose RemoveLayer4 turns the Service "
            "ClusterIP again")]
    if request.layer4 == "keep" and service_type != LOAD_BALANCER:
        return [_finding("Layer4Gone", f"{where} is {service_type}; the setup kept its Layer-4 load balancer "
                                       "(layer4: keep)",
                         "clients that dial the Layer-4 load balancer by name (why it was kept) fail",
                         "set the Service back to LoadBalancer (helm upgrade with service.type=LoadBalancer) and "
                         "move those clients to the host")]
    return []


def ingress_findings(ingress: dict[str, Any], expected: dict[str, Any], request: SetupRequest) -> list[Finding]:
    """The Ingress's alb.ingress.kubernetes.io annotations and routing, against what ApplyIngress applies."""
    where = f"Ingress {request.namespace}/{request.ingress_name}"
    means = "the load balancer controller reconciles the ALB to the Ingress as it is: the ALB no longer serves " \
            "the recorded setup"
    do = f"{RENEW.format(host=request.host)} (the annotations it sets win again), or undo the hand edit"
    actual = (ingress.get("metadata") or {}).get("annotations") or {}
    wanted = {key: value for key, value in expected["metadata"]["annotations"].items() if key.startswith(ALB)}
    found = []
    for key in sorted({*wanted, *(key for key in actual if key.startswith(ALB))}):
        if actual.get(key) != wanted.get(key):
            now = "missing" if key not in actual else f"{actual[key]!r}"
            recorded = "none" if key not in wanted else f"{wanted[key]!r}"
            found.append(_finding("IngressChanged", f"{where}: annotation {key} is {now}, the setup makes it "
                                                    f"{recorded}", means, do))
    spec = ingress.get("spec") or {}
    for key, value in expected["spec"].items():
        if spec.get(key) != value:
            found.append(_finding("IngressChanged", f"{where}: spec.{key} is {spec.get(key)!r}, the setup makes "
                                                    f"it {value!r}", means, do))
    return found


def events_findings(kube: k8s.Kube, request: SetupRequest, now: float) -> list[Finding]:
    name = request.ingress_name
    events = kube.list(k8s.events_path(request.namespace), f"list Events of Ingress {request.namespace}/{name}",
                       fieldSelector=f"involvedObject.kind=Ingress,involvedObject.name={name}")
    failure = controller_failure(events, 0.0, now)  # the newest failure since the last successful reconcile
    if failure is None:
        return []
    return [_finding("ControllerFailing",
                     f"the load balancer controller's latest reconcile of Ingress {request.namespace}/{name} "
                     f"failed: {failure.describe()} (seen {failure.count} time(s))",
                     "the ALB may not match the Ingress: changes to it are not being made",
                     "fix what the event names (kubectl describe ingress); the controller retries by itself")]


def load_balancer_findings(elbv2: Any, dns_name: str, request: SetupRequest,
                           certificate_arn: str | None, seen: dict[str, Any] | None = None) -> list[Finding]:
    """``seen``, when given, gets the ALB's description (``loadBalancer``) for the repair plan."""
    lb = find_load_balancer(elbv2, dns_name)
    if seen is not None and lb is not None:
        seen["loadBalancer"] = lb
    if lb is None:
        return [_finding("AlbMissing", f"no ALB {dns_name} in ELBv2, though the Ingress names it",
                         "the host has no Layer-7 load balancer", f"{RENEW.format(host=request.host)}")]
    state, scheme = str((lb.get("State") or {}).get("Code")), lb.get("Scheme")
    found = []
    if state != "active":
        found.append(_finding("AlbNotActive", f"ALB {dns_name} is {state}", "it does not route (or not yet)",
                              "wait for it to turn active; if it stays so, look at the controller's events"))
    if scheme and scheme != request.scheme:
        found.append(_finding("AlbScheme", f"ALB {dns_name} is {scheme}, the setup recorded {request.scheme}",
                              "clients the setup was made for cannot reach it (or others can)",
                              f"{RENEW.format(host=request.host)}"))
    try:
        listeners = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"]).get("Listeners", [])
    except ClientError as exc:
        aws.raise_if_transient(exc, "DescribeListeners")
        raise
    listener = next((item for item in listeners if item.get("Port") == request.listen_port), None)
    served = [c.get("CertificateArn") for c in (listener or {}).get("Certificates") or []]
    if listener is None:
        found.append(_finding("ListenerCertificate", f"ALB {dns_name} has no listener on port {request.listen_port}",
                              "clients of the host cannot connect", f"{RENEW.format(host=request.host)}"))
    elif certificate_arn and certificate_arn not in served:
        found.append(_finding("ListenerCertificate",
                              f"ALB {dns_name} serves {', '.join(map(str, served)) or 'no certificate'} on port "
                              f"{request.listen_port}, not the setup's {certificate_arn}",
                              "clients get another certificate than the one this workflow imported",
                              f"{RENEW.format(host=request.host)}"))
    if state == "active":
        owned, healthy = healthy_targets(elbv2, lb["LoadBalancerArn"], owner_of(request))
        if not owned:
            found.append(_finding("AlbNotOurs", f"ALB {dns_name} does not carry Ingress {request.namespace}/"
                                                f"{request.ingress_name}'s controller tags",
                                  "the Ingress names an ALB the controller does not keep for it",
                                  "look at the controller's events and the Ingress's status"))
        elif healthy == 0:
            found.append(_finding("NoHealthyTargets", f"ALB {dns_name} has no healthy target for Service "
                                                      f"{request.namespace}/{request.service_name}:"
                                                      f"{request.service_port}",
                                  "clients through the host get 503s", "check the Milvus proxy pods and the "
                                                                       "target group's health checks"))
    return found


def certificate_findings(acm: Any, certificate_arn: str, days: int, now: float,
                         seen: dict[str, Any] | None = None) -> list[Finding]:
    """``seen``, when given, gets the certificate's description (``certificate``) for the repair plan."""
    try:
        certificate = acm.describe_certificate(CertificateArn=certificate_arn)["Certificate"]
        if seen is not None:
            seen["certificate"] = certificate
    except ClientError as exc:
        aws.raise_if_transient(exc, "DescribeCertificate")
        if aws.error_code(exc) != "ResourceNotFoundException":
            raise
        return [_finding("CertificateMissing", f"certificate {certificate_arn} is not in ACM",
                         "the ALB cannot keep serving it", "start a renewal with a current certificate")]
    not_after = certificate.get("NotAfter")
    if not isinstance(not_after, datetime):
        return []
    left = math.floor((not_after.timestamp() - now) / 86400)
    if left >= days:
        return []
    when = f"{-left} days ago" if left < 0 else f"in {left} days"
    return [_finding("CertificateExpiring",
                     f"certificate {certificate_arn} ends {not_after.isoformat()} ({when}; the threshold is {days})",
                     "ACM never renews an imported certificate: clients refuse the host once it has ended",
                     "put the renewed certificate in the setup's secret (with certificateRotation the stack renews "
                     "on its own), or start a renewal with it")]


# How long the served-certificate handshake may take: the ALB answers TLS in milliseconds when it serves at all.
HANDSHAKE_TIMEOUT_SECONDS = 5.0
# What stops the handshake from being worth making: the ALB does not route or does not name the certificate.
_NOT_SERVING = frozenset({"AlbMissing", "AlbNotActive", "ListenerCertificate", "CertificateMissing"})


def held_certificate(acm: Any, certificate_arn: str) -> dict[str, Any]:
    """GetCertificate's answer: the body and chain ACM holds for the ARN (public; never the key)."""
    try:
        return dict(acm.get_certificate(CertificateArn=certificate_arn))
    except ClientError as exc:
        aws.raise_if_transient(exc, "GetCertificate")
        raise


def replaced_findings(acm: Any, certificate_arn: str, held: dict[str, Any], request: SetupRequest) -> list[Finding]:
    """The certificate ACM holds against the one ImportCertificate imported (its tag ``milvus-layer7:fingerprint``).

    ACM keeps an ARN's tags when someone re-imports another certificate into it, and the ALB then serves that one:
    ServedCertificate, which holds the ALB to ACM, cannot see it. A certificate without the tag (given by ARN,
    imported by someone else) is not held to one.
    """
    imported = (certificate_tags(acm, certificate_arn) or {}).get(TAG_FINGERPRINT, "")
    now = expected_fingerprint("", str(held.get("Certificate") or ""))
    if not imported or not now or same_fingerprint(now, imported):
        return []
    return [_finding("CertificateReplaced", f"certificate {certificate_arn} in ACM is SHA-256 {now}, not {imported}, "
                                            f"the one this workflow imported from the setup's secret",
                     "someone re-imported another certificate into the ARN the ALB serves (ACM keeps the "
                     "workflow's tags on it): clients get that one",
                     "put that certificate in the setup's secret if it is the one to serve; otherwise "
                     f"{RENEW.format(host=request.host)}, whose ImportCertificate puts the secret's back")]


def served_findings(held: dict[str, Any], dns_name: str, request: SetupRequest, certificate_arn: str,
                    present: Callable[..., PresentedCertificate] = presented_certificate) -> list[Finding]:
    """What the ALB presents to the host's clients (SNI = host) against the certificate ACM holds for the ARN
    (``held``, GetCertificate's answer)."""
    expected = expected_fingerprint("", str(held.get("Certificate") or ""))
    endpoint = f"{dns_name}:{request.listen_port}"
    bundle = write_ca_bundle(str(held.get("CertificateChain") or ""))
    try:
        presented = present(dns_name, request.listen_port, request.host, bundle, HANDSHAKE_TIMEOUT_SECONDS)
    except OSError as exc:  # ssl.SSLError is an OSError
        return [_finding("ServedCertificate", f"no TLS handshake with {endpoint} as {request.host} completed "
                                              f"({type(exc).__name__}: {exc})",
                         "clients of the host may not reach Milvus through the ALB",
                         "check the ALB's listener and security groups, and that the functions reach the ALB")]
    finally:
        os.remove(bundle)
    if not expected or same_fingerprint(presented.fingerprint_sha256, expected):
        return []
    return [_finding("ServedCertificate", f"ALB {endpoint} presents SHA-256 {presented.fingerprint_sha256} for "
                                          f"{request.host}, not {expected}, the certificate {certificate_arn} in ACM",
                     "clients get another certificate than the one this workflow imported",
                     "if a re-import just happened, look again in a minute; otherwise check the listener's "
                     f"certificates for another one naming {request.host}, and {RENEW.format(host=request.host)}")]


def _alias_name(name: str) -> str:
    return normalized(name).removeprefix("dualstack.")


def dns_findings(route53: Any, zone_id: str, request: SetupRequest, dns_name: str) -> list[Finding]:
    records = records_at(route53, zone_id, request.host)
    found = []
    for record_type in ("A", "AAAA") if is_dualstack(request.ingress_annotations) else ("A",):
        record = next((r for r in records if r["Type"] == record_type), None)
        target = str(((record or {}).get("AliasTarget") or {}).get("DNSName") or "")
        if target and _alias_name(target) == _alias_name(dns_name):
            continue
        values = [r.get("Value") for r in (record or {}).get("ResourceRecords", [])]
        now = "missing" if record is None else (f"an alias to {target}" if target else f"{record['Type']} {values}")
        found.append(_finding("DnsChanged", f"{record_type} record {request.host} in zone {zone_id} is {now}, not "
                                            f"an alias to ALB {dns_name}",
                              "clients resolving the host do not reach the ALB",
                              f"{RENEW.format(host=request.host)} (its UpsertDns points the record at the ALB)"))
    return found


def recorded_hosts(kube: k8s.Kube, namespace: str) -> RecordedHosts:
    """The hosts with a setup record on this workflow's Ingresses in ``namespace``, each once, sorted."""
    hosts = sorted({record.request.host for record in setup_record.recorded_setups(kube, namespace)})
    logger.info("recorded hosts listed", extra={"namespace": namespace, "hosts": hosts})
    return RecordedHosts(namespace=namespace, hosts=hosts)


def check_drift(host: str, namespace: str, kube: k8s.Kube, elbv2: Any, acm: Any, route53: Any, *,
                certificate_days: int, now: Callable[[], float] = time.time, secrets: Any = None,
                present: Callable[..., PresentedCertificate] = presented_certificate) -> DriftReport:
    """``secrets``: Secrets Manager, read (one ListSecretVersionIds) only for a certificate near its end, to say
    whether a renewal could replace it (check_drift/repairs.py); None: never. ``present``: the TLS handshake
    with the ALB (layer7.served_certificate), for a test to hand in its own."""
    mine = [r for r in setup_record.recorded_setups(kube, namespace) if r.request.host == host]
    if not mine:
        return DriftReport(host=host, matches=False, findings=[_finding(
            "NoSetupRecord", f"no Ingress of this workflow in namespace {namespace} records a setup for {host}",
            "the host's Ingress (and with it its ALB) was deleted or lost the label app.kubernetes.io/managed-by, "
            "the host was never set up here, or it was set up before records were kept",
            "run a setup for the host with its full input; it writes the record")])
    request = mine[0].request
    findings = service_findings(kube, request)
    ingress = read_ingress(kube, request.namespace, request.ingress_name)
    if ingress is None:  # deleted between the list and the get
        findings.append(_finding("NoSetupRecord", f"Ingress {request.namespace}/{request.ingress_name} is gone",
                                 "the host has no Layer-7 load balancer", "run a setup for the host"))
        return DriftReport(host=host, matches=False, findings=findings)
    actual = (ingress.get("metadata") or {}).get("annotations") or {}
    certificate_arn = request.certificate.certificate_arn or actual.get(CERTIFICATE_ARN_ANNOTATION)
    findings += ingress_findings(ingress, ingress_manifest(request, certificate_arn or ""), request)
    findings += events_findings(kube, request, now())
    dns_name = ingress_hostname(ingress)
    seen: dict[str, Any] = {}
    if dns_name is None:
        findings.append(_finding("AlbMissing", f"Ingress {request.namespace}/{request.ingress_name} has no address",
                                 "the controller has no ALB for it", "look at the controller's events"))
    else:
        findings += load_balancer_findings(elbv2, dns_name, request, certificate_arn, seen)
    if certificate_arn:
        findings += certificate_findings(acm, certificate_arn, certificate_days, now(), seen)
    held = None
    if certificate_arn and request.certificate.secret_arn and "CertificateMissing" not in {f.kind for f in findings}:
        held = held_certificate(acm, certificate_arn)
        findings += replaced_findings(acm, certificate_arn, held, request)
    if certificate_arn and dns_name and not _NOT_SERVING & {f.kind for f in findings}:
        findings += served_findings(held or held_certificate(acm, certificate_arn), dns_name, request,
                                    certificate_arn, present)
    if request.hosted_zone_id and dns_name:
        findings += dns_findings(route53, request.hosted_zone_id, request, dns_name)
    repairable = repairs.plan(findings, request, load_balancer=seen.get("loadBalancer"),
                              certificate=seen.get("certificate"), secrets=secrets)
    logger.info("drift checked", extra={"host": host, "findings": [f.kind for f in findings],
                                        "repairable": repairable is not None})
    return DriftReport(host=host, matches=not findings, findings=findings, repairs=repairable)
