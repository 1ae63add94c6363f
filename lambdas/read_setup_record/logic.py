"""ReadSetupRecord: hold the run to the setup recorded on the host's Ingress, before anything changes.

Runs right after Validate and only reads. It lists this workflow's Ingresses
in the namespace (label ``app.kubernetes.io/managed-by: milvus-layer7``) and
reads their setup records (layer7.setup_record):

* a renewal (``renew: true``) becomes exactly the recorded request for the
  host; with no record for it, ``InvalidInput`` and nothing changed;
* any other input is refused with ``InvalidInput``, nothing changed, when it
  would make the load balancer controller replace the host's ALB (scheme,
  IngressGroup) and does not say ``replaceLoadBalancer: true``; when another
  of our Ingresses already serves the host (a second ALB for one name); or
  when the Ingress it names serves another host (that host would lose it).

An Ingress of ours with no record (set up before records were kept) holds a
new input to nothing: the run writes the record, and renewals work from then
on.
"""

from __future__ import annotations

from layer7 import kube as k8s
from layer7 import setup_record
from layer7.errors import InvalidInput
from layer7.models import SetupRequest, StepEvent
from layer7.observability import logger
from layer7.setup_record import recorded_setups

NOTHING_CHANGED = "Nothing was changed"


def renewal(request: SetupRequest, recorded: setup_record.RecordedSetup | None) -> SetupRequest:
    if recorded is None:
        raise InvalidInput(
            f"renew: no setup is recorded for host {request.host} in namespace {request.namespace} (annotation "
            f"{setup_record.SETUP_RECORD_ANNOTATION} on one of this workflow's Ingresses): run a setup with the full "
            f"input first; a setup made before records were kept writes its record when run again. {NOTHING_CHANGED}"
        )
    if recorded.request.cluster_name != request.cluster_name:
        raise InvalidInput(f"renew: host {request.host} was set up on cluster {recorded.request.cluster_name}, not "
                           f"{request.cluster_name}. {NOTHING_CHANGED}")
    return recorded.request.model_copy(update={"renew": True})


def held_to_record(request: SetupRequest, records: list[setup_record.RecordedSetup]) -> SetupRequest:
    mine = next((r for r in records if r.request.host == request.host), None)
    if mine is not None and mine.ingress_name != request.ingress_name:
        raise InvalidInput(
            f"ingressName: host {request.host} is already set up by Ingress {mine.namespace}/{mine.ingress_name}; "
            f"a second Ingress would give it a second ALB. Give ingressName {mine.ingress_name!r}, or undo that "
            f"setup first. {NOTHING_CHANGED}"
        )
    other = next((r for r in records if r.ingress_name == request.ingress_name and r.request.host != request.host),
                 None)
    if other is not None:
        raise InvalidInput(
            f"ingressName: Ingress {other.namespace}/{other.ingress_name} serves host {other.request.host}, which "
            f"would lose its route to {request.host}; give another ingressName, or undo that setup first. "
            f"{NOTHING_CHANGED}"
        )
    if mine is not None and not request.replace_load_balancer:
        replacing = setup_record.replacing_fields(mine.request, request)
        if replacing:
            raise InvalidInput(
                f"{'; '.join(replacing)}: the load balancer controller would delete the host's ALB and create "
                "another, with a new name, while clients and DNS point at the old one. To do it all the same, "
                "give replaceLoadBalancer: true (and move clients); to renew the certificate, give renew: true. "
                f"{NOTHING_CHANGED}"
            )
    return request


def read_setup_record(event: StepEvent, kube: k8s.Kube) -> SetupRequest:
    request = event.request
    records = recorded_setups(kube, request.namespace)
    if request.renew:
        effective = renewal(request, next((r for r in records if r.request.host == request.host), None))
    else:
        effective = held_to_record(request, records)
    logger.info("setup record read", extra={"host": request.host, "renew": request.renew,
                                            "recorded": [r.ingress_name for r in records]})
    return effective
