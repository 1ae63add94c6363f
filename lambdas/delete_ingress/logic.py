"""DeleteIngress: delete the workflow's Ingress, and say what CheckIngressDeleted must see go with it.

The load balancer controller holds an Ingress it reconciled with its
finalizer (``ingress.k8s.aws/resources``, or ``group.ingress.k8s.aws/<group>``
in an IngressGroup), so the API server only marks it as being deleted; the
controller deletes the ALB (or, in a shared group, only this Ingress's rules
and target groups), then removes the finalizer, and the Ingress is gone
(kubernetes-sigs/aws-load-balancer-controller ``controllers/ingress/group_controller.go``).
What the ALB was called, which tags the controller gave it and which
certificates its listener served is read here, before the Ingress goes.

A second run finds the Ingress already being deleted (nothing sent), or gone.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from layer7 import kube as k8s
from layer7.ingress import GROUP_NAME_ANNOTATION, ingress_hostname, read_ingress, refuse_foreign
from layer7.observability import logger
from layer7.undo_models import IngressDeletion, UndoStepEvent

CERTIFICATE_ANNOTATION = "alb.ingress.kubernetes.io/certificate-arn"


def delete_ingress(event: UndoStepEvent, kube: k8s.Kube, *, now: Callable[[], float] = time.time) -> IngressDeletion:
    request = event.request
    namespace, name = request.namespace, request.ingress_name
    ingress = read_ingress(kube, namespace, name)
    if ingress is None:
        logger.info("Ingress already gone", extra={"ingress": name})
        return IngressDeletion(namespace=namespace, name=name, found=False, deleted_at=now(),
                               stack=f"{namespace}/{name}")
    refuse_foreign(ingress, namespace, name)
    metadata = ingress.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    group = annotations.get(GROUP_NAME_ANNOTATION)
    if not metadata.get("deletionTimestamp"):
        try:
            kube.delete(k8s.ingress_path(namespace, name), f"delete Ingress {namespace}/{name}")
        except k8s.NotFound:
            pass  # deleted in between: what CheckIngressDeleted waits for
    deletion = IngressDeletion(
        namespace=namespace, name=name, found=True, deleted_at=now(),
        load_balancer_dns_name=ingress_hostname(ingress), stack=group or f"{namespace}/{name}",
        shared_group=bool(group),
        certificate_arns=[arn.strip() for arn in annotations.get(CERTIFICATE_ANNOTATION, "").split(",") if arn.strip()],
    )
    logger.info("Ingress deleted", extra={"ingressDeletion": deletion.to_wire(),
                                          "finalizers": metadata.get("finalizers") or []})
    return deletion
