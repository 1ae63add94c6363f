"""RestoreLayer4: put back the Layer-4 load balancer exactly as RemoveLayer4 recorded it, before anything else.

The undo's order mirrors setup's, so Milvus is never unreachable: the
Layer-4 load balancer comes back first (and is verified, and DNS moves back
to it) while the ALB still serves; the ALB goes last. This step is also where
the undo decides whether there is anything to undo, before it changes
anything, and it never guesses:

- Service not LoadBalancer, with the record ``milvus-layer7/layer4``: one
  strategic merge patch sets the recorded type, spec fields and annotations
  and deletes the record. ``healthCheckNodePort`` is left for the API server
  to allocate again (it allocated the recorded one too, and that port may be
  taken by now), as are the node ports.
- Service not LoadBalancer, no record: ``InvalidInput``; nothing is known of
  what it had. A recorded type other than LoadBalancer (NodePort) is refused
  too: its node ports, which clients dial, were never recorded.
- Service LoadBalancer: nothing to restore (setup kept it, or an earlier undo
  restored it). A record left on it (a ``helm upgrade`` brought the type back
  since) is removed, it is ours.
- Nothing at all left of a setup (Service LoadBalancer without a record, no
  Ingress, no certificate ImportCertificate left for the host): the earlier
  undo ValidateUndo found did it, and this run changes nothing; with no such
  undo there never was a setup to undo: ``InvalidInput``.

An Ingress by that name that this workflow did not create (no label
``app.kubernetes.io/managed-by: milvus-layer7``) is refused before any
change: the undo deletes only what is its own.

``restored`` says what this execution did, not this attempt: a Lambda killed
after its patch is run again by Step Functions, and finds the Service
LoadBalancer with no record. The patch is written by the field manager
``milvus-layer7``, whose managedFields entry (operation Update) the API
server moves only when its write changed the Service (managedfieldsupdater.go);
at or after the execution's start (``$$.Execution.StartTime``), the Service
was restored by this execution: ``restored: true`` and ``previousType``
ClusterIP, the type RemoveLayer4 leaves (the type it had just before the
killed patch is not kept anywhere: a Service changed by hand to NodePort in
between would still read ClusterIP, docs/CONTRACT.md). Its
``previousAddress`` is null then, as on any rerun: RestoreDns reads the old
address from the Ingress's annotation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from layer7 import kube as k8s
from layer7.errors import InvalidInput, ServiceNotFound
from layer7.ingress import changed_since, read_ingress, refuse_foreign
from layer7.layer4 import CLUSTER_IP, LAYER4_RECORD_ANNOTATION, LOAD_BALANCER, recorded_layer4
from layer7.observability import logger
from layer7.undo_models import Layer4Restore, RestoreLayer4Event

# Allocated by the API server, not chosen by whoever installed the Service: allocated again, never requested.
ALLOCATED_FIELDS = ("healthCheckNodePort",)


def type_of(service: dict[str, Any]) -> str:
    return str((service.get("spec") or {}).get("type") or "ClusterIP")


def restore_patch(record: Any) -> dict[str, Any]:
    spec = {"type": record.type, **{k: v for k, v in record.spec.items() if k not in ALLOCATED_FIELDS}}
    annotations: dict[str, Any] = {**record.annotations, LAYER4_RECORD_ANNOTATION: None}
    return {"metadata": {"annotations": annotations}, "spec": spec}


def restore_layer4(event: RestoreLayer4Event, kube: k8s.Kube, *, now: Callable[[], float] = time.time) -> Layer4Restore:
    request = event.request
    namespace, name = request.namespace, request.service_name
    service = k8s.read_service(kube, namespace, name)
    ingress = read_ingress(kube, namespace, request.ingress_name)
    refuse_foreign(ingress, namespace, request.ingress_name)
    found = type_of(service)
    record = recorded_layer4(service)
    path, what = k8s.service_path(namespace, name), f"restore the Layer-4 load balancer of Service {namespace}/{name}"
    if found == LOAD_BALANCER:
        already = None
        if record is None and ingress is None and not event.managed_certificates:
            if event.previous_undo is None:
                raise InvalidInput(
                    f"nothing to undo for host {request.host}: Service {namespace}/{name} is LoadBalancer with no "
                    f"record ({LAYER4_RECORD_ANNOTATION}) of a setup, there is no Ingress {namespace}/"
                    f"{request.ingress_name} and no certificate imported for the host. Check host, namespace, "
                    "serviceName and ingressName; nothing was changed"
                )
            already = event.previous_undo
        warnings = []
        if record is not None:  # the type came back without us; the record is ours to take away
            _patch(kube, path, what, {"metadata": {"annotations": {LAYER4_RECORD_ANNOTATION: None}}})
            warnings.append(f"Service {namespace}/{name} was LoadBalancer again already (a helm upgrade?); only "
                            f"the undo's record {LAYER4_RECORD_ANNOTATION} was removed from it")
        # Restored by an earlier attempt of this execution (killed after its patch): answer as it would have.
        mine = record is None and changed_since(service, event.execution_start_time, "Update")
        logger.info("Service already LoadBalancer", extra={"service": name, "alreadyUndoneBy": already,
                                                           "restoredByThisExecution": mine})
        return Layer4Restore(name=name, previous_type=CLUSTER_IP if mine else found, type=found, restored=mine,
                             previous_address=record.address if record else None, restored_at=now(),
                             already_undone_by=already, warnings=warnings)
    if record is None:
        raise InvalidInput(
            f"Service {namespace}/{name} is {found} and carries no record ({LAYER4_RECORD_ANNOTATION}) of the "
            "Layer-4 load balancer it had before setup: the undo never guesses. Restore it by hand (helm upgrade "
            "... --set service.type=LoadBalancer); nothing was changed"
        )
    if record.type != LOAD_BALANCER:
        raise InvalidInput(
            f"Service {namespace}/{name} was {record.type} before setup; its node ports were not recorded, so the "
            "undo cannot give clients back the ports they dialled. Restore it by hand; nothing was changed"
        )
    patched = _patch(kube, path, what, restore_patch(record))
    logger.info("Service restored", extra={"service": name, "from": found, "to": type_of(patched),
                                           "restored": record.to_wire()})
    return Layer4Restore(name=name, previous_type=found, type=type_of(patched), restored=True,
                         previous_address=record.address, restored_at=now())


def _patch(kube: k8s.Kube, path: str, what: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        return kube.patch(path, what, body, content_type=k8s.STRATEGIC_MERGE_PATCH, fieldManager=k8s.FIELD_MANAGER)
    except k8s.NotFound as exc:
        raise ServiceNotFound(f"the Service disappeared before it could be changed ({what})") from exc
