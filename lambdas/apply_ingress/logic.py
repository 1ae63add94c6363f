"""ApplyIngress: route the host to the Milvus Service through an ALB.

The Ingress is written with server-side apply under the field manager
``milvus-layer7`` and ``force=true``: a second run with the same input changes
nothing, a run with new input takes over exactly the fields it sets, and an
Ingress someone created by hand with this name is adopted rather than refused.
The Service is only read here; its Layer-4 load balancer stays until the
Layer-7 path has been verified (RemoveLayer4).

``changed`` says what this execution did, not this attempt. The API server
keeps the resourceVersion of an object an apply left as it was, so a second
apply of the same manifest reports ``false``; but a Lambda killed after its
apply is run again by Step Functions, and that attempt's apply is such a
second one. So the step also gets the execution's start
(``$$.Execution.StartTime``) and reads the managedFields entry of its field
manager (operation Apply): the API server moves its ``time`` only when the
manager's apply changed the object (managedfieldsupdater.go), so a time at or
after the start (in whole seconds, as metav1.Time has them) is this
execution's change. The two clocks are the API server's (the cluster's
control plane, AWS's for EKS) and Step Functions'; a skew between them
matters only if it exceeds the time from the start to the apply (Validate,
ReadSetupRecord and ImportCertificate: seconds), or from an earlier
execution's last change to this start. A later execution (a rerun, a renewal
of the same content) finds an earlier time: ``false``.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from layer7 import kube as k8s
from layer7.errors import IngressRejected
from layer7.ingress import changed_since, read_ingress
from layer7.ingress_manifest import ingress_manifest
from layer7.models import ApplyIngressEvent, IngressResult, SetupRequest
from layer7.observability import logger

HELM_RELEASE = "meta.helm.sh/release-name"
HELM_NAMESPACE = "meta.helm.sh/release-namespace"


def helm_release(service: dict[str, Any]) -> str | None:
    """The Helm release that owns the Service, or None when Helm does not manage it."""
    metadata = service.get("metadata") or {}
    labels = metadata.get("labels") or {}
    annotations = metadata.get("annotations") or {}
    if labels.get(k8s.MANAGED_BY_LABEL) != "Helm" and HELM_RELEASE not in annotations:
        return None
    return str(annotations.get(HELM_RELEASE) or labels.get("app.kubernetes.io/instance") or "<release>")


def service_warnings(request: SetupRequest, service: dict[str, Any]) -> list[str]:
    """What the operator should know about the Service that is not a failure."""
    warnings: list[str] = []
    service_type = (service.get("spec") or {}).get("type") or "ClusterIP"
    release = helm_release(service)
    if release and request.layer4 == "remove" and service_type != "ClusterIP":
        namespace = (service.get("metadata") or {}).get("annotations", {}).get(HELM_NAMESPACE) or request.namespace
        warnings.append(
            f"Service {request.namespace}/{request.service_name} is managed by Helm release {release!r}: the next "
            f"`helm upgrade {release} -n {namespace}` sets it back to {service_type} and brings the Layer-4 load "
            "balancer back unless the release's values set service.type=ClusterIP "
            f"(helm upgrade {release} ... --reuse-values --set service.type=ClusterIP)."
        )
    ports = [p.get("port") for p in (service.get("spec") or {}).get("ports") or []]
    if ports and request.service_port not in ports:
        warnings.append(
            f"Service {request.namespace}/{request.service_name} exposes ports {ports}, not servicePort "
            f"{request.service_port}: the load balancer controller will find no backend."
        )
    return warnings


def apply_ingress(event: ApplyIngressEvent, kube: k8s.Kube, *, now: Callable[[], float] = time.time) -> IngressResult:
    """Read the Service, apply the Ingress, and say when (CheckLoadBalancer times out from there)."""
    request = event.request
    service = k8s.read_service(kube, request.namespace, request.service_name)
    manifest = ingress_manifest(request, event.certificate.certificate_arn)
    existing = read_ingress(kube, request.namespace, request.ingress_name)
    before = (existing or {}).get("metadata", {}).get("resourceVersion")
    try:
        applied = kube.patch(
            k8s.ingress_path(request.namespace, request.ingress_name),
            f"apply Ingress {request.namespace}/{request.ingress_name}",
            manifest,
            content_type=k8s.APPLY_PATCH,
            fieldManager=k8s.FIELD_MANAGER,
            force=True,
        )
    except k8s.AdmissionDenied as exc:
        # The controller's own webhook (vingress.elbv2.k8s.aws) answers 403: a verdict on the Ingress, not on access.
        raise IngressRejected(
            f"Ingress {request.namespace}/{request.ingress_name} was refused at admission: "
            f"{exc.body.get('message') or exc}. Nothing was applied; fix what the webhook names and start again."
        ) from None
    applied_at = now()
    # The API server keeps the resourceVersion of an object a write left as it was: a renewal shows it changed nothing.
    changed = before is None or before != (applied.get("metadata") or {}).get("resourceVersion")
    # Unchanged by this attempt, maybe by an earlier attempt of this execution killed after its apply.
    changed = changed or changed_since(applied, event.execution_start_time)
    warnings = [*event.certificate.warnings, *service_warnings(request, service)]
    service_type = (service.get("spec") or {}).get("type") or "ClusterIP"
    logger.info(
        "Ingress applied",
        extra={
            "namespace": request.namespace,
            "ingress": request.ingress_name,
            "resourceVersion": (applied.get("metadata") or {}).get("resourceVersion"),
            "serviceType": service_type,
            "changed": changed,
            "warnings": warnings,
        },
    )
    return IngressResult(
        namespace=request.namespace,
        name=request.ingress_name,
        service_type=service_type,
        applied_at=applied_at,
        warnings=warnings,
        changed=changed,
    )

