"""The setup's choices, kept on the Ingress they made: what a renewal re-applies and a new input is held to.

ApplyIngress writes the resolved request (every field: none is key material,
the certificate and the Milvus credentials are named by ARN only) into the
Ingress's annotation ``milvus-layer7/setup`` in the same server-side apply
that writes the Ingress, so the record and what it describes cannot part.
ReadSetupRecord reads it back:

* a renewal (``renew: true``; what the certificate-rotation rule starts)
  re-applies exactly the recorded request, so an internal endpoint stays
  internal, DNS stays managed, the Layer-4 choice and the caller's
  annotations stay;
* a new input for a host that has a record is held to it where the load
  balancer controller would otherwise replace the ALB, which clients and DNS
  point at (``replacing_fields``).

The record is versioned: ``read`` turns every version this release knows into
today's ``SetupRequest`` and refuses a newer one rather than guess.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from layer7 import kube as k8s
from layer7.errors import InvalidInput
from layer7.ingress import GROUP_NAME_ANNOTATION
from layer7.models import SetupRequest

SETUP_RECORD_ANNOTATION = "milvus-layer7/setup"
RECORD_VERSION = 1
# Per-run intents, not choices of the setup: a renewal or a replacement is asked for each time.
RUN_ONLY_FIELDS = frozenset({"renew", "replaceLoadBalancer"})


@dataclass(frozen=True)
class RecordedSetup:
    """A record found on an Ingress: which Ingress holds it, and the request it records."""

    namespace: str
    ingress_name: str
    request: SetupRequest


def annotation_value(request: SetupRequest) -> str:
    """The record as the annotation holds it: stable bytes for the same request, so a rerun changes nothing."""
    fields = {key: value for key, value in request.to_wire().items() if key not in RUN_ONLY_FIELDS}
    return json.dumps({"version": RECORD_VERSION, "request": fields}, separators=(",", ":"), sort_keys=True)


def read(ingress: dict[str, Any]) -> RecordedSetup | None:
    """The record on ``ingress``, None when it has none (an Ingress set up before records were kept)."""
    metadata = ingress.get("metadata") or {}
    text = (metadata.get("annotations") or {}).get(SETUP_RECORD_ANNOTATION)
    if not text:
        return None
    where = f"Ingress {metadata.get('namespace')}/{metadata.get('name')}"
    try:
        value = json.loads(text)
        version, fields = value["version"], value["request"]
    except (ValueError, TypeError, KeyError):
        raise InvalidInput(f"{where}: its annotation {SETUP_RECORD_ANNOTATION} is not a setup record this "
                           "workflow wrote (edited by hand?); run a setup with the full input to write it again. "
                           "Nothing was changed") from None
    if version != RECORD_VERSION:  # version 1 is the first; a later release reads it and writes its own
        raise InvalidInput(f"{where}: its setup record is version {version!r}, written by a newer release of "
                           f"this workflow than this one (which reads version {RECORD_VERSION}); deploy that "
                           "release. Nothing was changed")
    try:
        request = SetupRequest.model_validate(fields)
    except ValidationError as exc:
        raise InvalidInput(f"{where}: its setup record cannot be read ({exc.error_count()} problems); run a setup "
                           "with the full input to write it again. Nothing was changed") from None
    return RecordedSetup(str(metadata.get("namespace") or request.namespace),
                         str(metadata.get("name") or request.ingress_name), request)


def recorded_setups(kube: k8s.Kube, namespace: str) -> list[RecordedSetup]:
    """The records on this workflow's Ingresses in ``namespace`` (label ``app.kubernetes.io/managed-by``)."""
    ingresses = kube.list(f"/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses",
                          f"list the workflow's Ingresses in namespace {namespace}",
                          labelSelector=f"{k8s.MANAGED_BY_LABEL}={k8s.FIELD_MANAGER}")
    return [record for record in map(read, ingresses) if record is not None]


def replacing_fields(recorded: SetupRequest, requested: SetupRequest) -> list[str]:
    """What in ``requested`` would make the load balancer controller put a new ALB in place of the recorded one.

    aws-load-balancer-controller ``pkg/deploy/elbv2/load_balancer_synthesizer.go``,
    ``isSDKLoadBalancerRequiresReplacement``: an ALB whose type or scheme differs from the model is
    deleted and a new one created (an Ingress's type is always application). The IngressGroup
    (``group.name``) names the stack the ALB is found by (its tag ``ingress.k8s.aws/stack``): another
    group is another ALB, and the old one goes once no Ingress is left in it.
    """
    changed = []
    if recorded.scheme != requested.scheme:
        changed.append(f"scheme ({recorded.scheme} -> {requested.scheme})")
    before = recorded.ingress_annotations.get(GROUP_NAME_ANNOTATION)
    after = requested.ingress_annotations.get(GROUP_NAME_ANNOTATION)
    if before != after:
        changed.append(f"ingressAnnotations.{GROUP_NAME_ANNOTATION} ({before or 'none'} -> {after or 'none'})")
    return changed
